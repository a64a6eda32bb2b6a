//! Figures as PNG or SVG bytes (plotters, with the DejaVu Sans font compiled in, so a
//! machine needs no system fonts): a spectrum with its model lines and a residual panel
//! on log axes, and an image with outlines drawn on it.

use crate::error::{IoError, Result};
use crate::io::image::Image;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Output format of a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Svg,
}

impl Format {
    /// The file extension (`png`, `svg`).
    pub fn ext(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
        }
    }
}

/// One spectrum of a figure: its data bins, model lines and residuals.
#[derive(Debug, Clone)]
pub struct FigureSet {
    /// Legend label of the data (the spectrum's file).
    pub label: String,
    /// Data bins: [e_lo, e_hi] keV, rate (counts s⁻¹ keV⁻¹) and its 1σ error.
    pub data: Vec<[f64; 4]>,
    /// Model lines over the same bins (rate per bin): the total first, then each source.
    pub lines: Vec<(String, Vec<f64>)>,
    /// Residual per bin (value, error), when the figure has a residual panel.
    pub residual: Vec<(f64, f64)>,
}

/// Spectra as XSPEC's `plot ldata delchi` shows them: one set with every source line, or
/// several (an overview) each with its total.
#[derive(Debug, Clone)]
pub struct SpectrumFigure {
    pub title: String,
    pub sets: Vec<FigureSet>,
    /// Axis label of the residual panel; None for no panel.
    pub residual_label: Option<String>,
}

/// An image (row-major, pixel (0,0) at the bottom left as ds9 shows FITS) with the edges
/// of region masks drawn over it.
#[derive(Debug, Clone)]
pub struct ImageFigure<'a> {
    pub title: String,
    pub image: &'a Image,
    /// Region masks (same grid, 1 inside) and the colour of their edges (green =
    /// background, red = source, as ds9 draws them).
    pub masks: Vec<(&'a Image, RGBColor)>,
    /// Show √value (counts images) rather than the value.
    pub sqrt: bool,
    /// Diverging colours around zero (residual images).
    pub signed: bool,
    /// The square shown: (x0, y0, side) in image pixels (0-based, bottom left); None for
    /// the whole image.
    pub view: Option<(usize, usize, usize)>,
}

fn font() {
    static ONCE: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
    });
}

fn draw_err<E: std::fmt::Display>(e: E) -> crate::Error {
    IoError::Figure { msg: e.to_string() }.into()
}

/// Colours of the model lines: total black, then the sources.
const LINE_COLOURS: [RGBColor; 7] = [
    BLACK,
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// Render a spectrum figure (`width` × `height` pixels).
pub fn spectrum(fig: &SpectrumFigure, width: u32, height: u32, format: Format) -> Result<Vec<u8>> {
    font();
    match format {
        Format::Png => png_bytes(width, height, |a| draw_spectrum(fig, a)),
        Format::Svg => svg_bytes(width, height, |a| draw_spectrum(fig, a)),
    }
}

/// Render an image figure (`side` pixels square, plus a title band).
pub fn image(fig: &ImageFigure, side: u32, format: Format) -> Result<Vec<u8>> {
    font();
    match format {
        Format::Png => png_bytes(side, side + 30, |a| draw_image(fig, side, a)),
        Format::Svg => svg_bytes(side, side + 30, |a| draw_image(fig, side, a)),
    }
}

fn png_bytes<F>(width: u32, height: u32, draw: F) -> Result<Vec<u8>>
where
    F: Fn(&DrawingArea<BitMapBackend, Shift>) -> Result<()>,
{
    let mut buf = vec![255u8; width as usize * height as usize * 3];
    {
        let area = BitMapBackend::with_buffer(&mut buf, (width, height)).into_drawing_area();
        draw(&area)?;
        area.present().map_err(draw_err)?;
    }
    encode_png(&buf, width, height)
}

fn svg_bytes<F>(width: u32, height: u32, draw: F) -> Result<Vec<u8>>
where
    F: Fn(&DrawingArea<SVGBackend, Shift>) -> Result<()>,
{
    let mut text = String::new();
    {
        let area = SVGBackend::with_string(&mut text, (width, height)).into_drawing_area();
        draw(&area)?;
        area.present().map_err(draw_err)?;
    }
    Ok(text.into_bytes())
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(draw_err)?;
        w.write_image_data(rgb).map_err(draw_err)?;
    }
    Ok(out)
}

/// Range of positive values, widened by a factor on each side (log axes).
fn log_range(values: impl Iterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    if !(lo.is_finite() && hi > 0.0) {
        return (1e-6, 1.0);
    }
    (lo / pad, hi * pad)
}

fn draw_spectrum<DB: DrawingBackend>(
    fig: &SpectrumFigure,
    area: &DrawingArea<DB, Shift>,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE).map_err(draw_err)?;
    let with_res = fig.residual_label.is_some();
    let (top, bottom) = match with_res {
        true => area.split_vertically(area.dim_in_pixel().1 * 68 / 100),
        false => (area.clone(), area.clone()),
    };
    let ((e_lo, e_hi), (y_lo, y_hi)) = ranges(fig);
    let mut chart = ChartBuilder::on(&top)
        .caption(&fig.title, ("sans-serif", 18))
        .margin(8)
        .x_label_area_size(if with_res { 8 } else { 36 })
        .y_label_area_size(64)
        .build_cartesian_2d((e_lo..e_hi).log_scale(), (y_lo..y_hi).log_scale())
        .map_err(draw_err)?;
    let mut mesh = chart.configure_mesh();
    mesh.y_desc("counts s⁻¹ keV⁻¹")
        .label_style(("sans-serif", 13))
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v));
    if with_res {
        mesh.x_labels(0);
    } else {
        mesh.x_desc("Energy (keV)");
    }
    mesh.draw().map_err(draw_err)?;
    let single = fig.sets.len() == 1;
    for (k, set) in fig.sets.iter().enumerate() {
        let data_colour = if single {
            BLUE
        } else {
            LINE_COLOURS[1 + k % 6]
        };
        chart
            .draw_series(set.data.iter().flat_map(|d| cross(d, y_lo, data_colour)))
            .map_err(draw_err)?
            .label(&set.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], data_colour));
        for (j, (label, ys)) in set.lines.iter().enumerate() {
            let colour = if single {
                LINE_COLOURS[j % 7]
            } else {
                data_colour
            };
            let width = if j == 0 { 2 } else { 1 };
            let series = chart
                .draw_series(std::iter::once(PathElement::new(
                    step_line(&set.data, ys, y_lo),
                    colour.stroke_width(width),
                )))
                .map_err(draw_err)?;
            if single {
                series
                    .label(label)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour));
            }
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 12))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(draw_err)?;
    if let Some(label) = &fig.residual_label {
        draw_residual(&bottom, fig, label, (e_lo, e_hi))?;
    }
    Ok(())
}

/// The energy and rate ranges of the log axes: every bin, error bar and total model.
fn ranges(fig: &SpectrumFigure) -> ((f64, f64), (f64, f64)) {
    let data = || fig.sets.iter().flat_map(|s| s.data.iter());
    let e = log_range(data().flat_map(|d| [d[0], d[1]]), 1.02);
    let totals = fig
        .sets
        .iter()
        .flat_map(|s| s.lines.first())
        .flat_map(|l| l.1.iter().copied());
    let y = log_range(
        data()
            .flat_map(|d| [d[2] - d[3], d[2] + d[3]])
            .chain(totals),
        1.5,
    );
    (e, y)
}

/// A data bin as XSPEC draws it: a horizontal bar over the bin and a vertical 1σ bar.
fn cross(d: &[f64; 4], floor: f64, c: RGBColor) -> [PathElement<(f64, f64)>; 2] {
    let (x, y) = ((d[0] * d[1]).sqrt(), d[2]);
    [
        PathElement::new(vec![(d[0], y), (d[1], y)], c),
        PathElement::new(vec![(x, (y - d[3]).max(floor)), (x, y + d[3])], c),
    ]
}

/// An axis label: 3 significant digits, no trailing zeros ("10", "0.001", "2e-5").
fn tick(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        return format!("{v:.0e}");
    }
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A model as steps over the data bins (XSPEC draws it so), floored at the axis minimum.
fn step_line(data: &[[f64; 4]], ys: &[f64], floor: f64) -> Vec<(f64, f64)> {
    let mut v = Vec::with_capacity(2 * data.len());
    for (d, y) in data.iter().zip(ys) {
        let y = y.max(floor);
        v.push((d[0], y));
        v.push((d[1], y));
    }
    v
}

fn draw_residual<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    fig: &SpectrumFigure,
    label: &str,
    (e_lo, e_hi): (f64, f64),
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let ratio = label.contains("ratio");
    let centre = if ratio { 1.0 } else { 0.0 };
    let span = fig
        .sets
        .iter()
        .flat_map(|s| s.residual.iter())
        .map(|(v, e)| (v - centre).abs() + e)
        .filter(|x| x.is_finite())
        .fold(0.0f64, f64::max)
        .max(if ratio { 0.2 } else { 2.0 })
        * 1.1;
    let mut chart = ChartBuilder::on(area)
        .margin(8)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d((e_lo..e_hi).log_scale(), (centre - span)..(centre + span))
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_desc("Energy (keV)")
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .y_desc(label)
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(draw_err)?;
    let grey = RGBColor(120, 120, 120);
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(e_lo, centre), (e_hi, centre)],
            grey,
        )))
        .map_err(draw_err)?;
    let single = fig.sets.len() == 1;
    for (k, set) in fig.sets.iter().enumerate() {
        let c = if single {
            BLUE
        } else {
            LINE_COLOURS[1 + k % 6]
        };
        let points = set
            .data
            .iter()
            .zip(&set.residual)
            .filter(|(_, r)| r.0.is_finite());
        chart
            .draw_series(points.flat_map(|(d, (v, e))| {
                let x = (d[0] * d[1]).sqrt();
                [
                    PathElement::new(vec![(d[0], *v), (d[1], *v)], c),
                    PathElement::new(vec![(x, v - e), (x, v + e)], c),
                ]
            }))
            .map_err(draw_err)?;
    }
    Ok(())
}

/// Pixels inside a mask with a 4-neighbour outside it (its edge), (x, y) 0-based.
fn mask_edge(m: &Image) -> Vec<(usize, usize)> {
    let inside = |x: isize, y: isize| {
        x >= 0
            && y >= 0
            && (x as usize) < m.nx
            && (y as usize) < m.ny
            && m.get(x as usize, y as usize) > 0.0
    };
    let mut v = Vec::new();
    for y in 0..m.ny as isize {
        for x in 0..m.nx as isize {
            if inside(x, y)
                && [(1, 0), (-1, 0), (0, 1), (0, -1)]
                    .iter()
                    .any(|(dx, dy)| !inside(x + dx, y + dy))
            {
                v.push((x as usize, y as usize));
            }
        }
    }
    v
}

/// The colour of a normalised value t in [0, 1] (dark blue → yellow), or around zero
/// for signed images (blue → white → red).
fn colour(t: f64, signed: bool) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    if signed {
        let (a, b) = if t < 0.5 {
            (2.0 * t, 0.0)
        } else {
            (1.0, 2.0 * t - 1.0)
        };
        let f = |x: f64| (x * 255.0) as u8;
        return if t < 0.5 {
            RGBColor(f(a), f(a), 255)
        } else {
            RGBColor(255, f(1.0 - b), f(1.0 - b))
        };
    }
    let stops = [
        (13.0, 8.0, 135.0),
        (156.0, 23.0, 158.0),
        (237.0, 121.0, 83.0),
        (240.0, 249.0, 33.0),
    ];
    let x = t * 3.0;
    let i = (x.floor() as usize).min(2);
    let f = x - i as f64;
    let (a, b) = (stops[i], stops[i + 1]);
    let mix = |p: f64, q: f64| (p + (q - p) * f) as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn draw_image<DB: DrawingBackend>(
    fig: &ImageFigure,
    side: u32,
    area: &DrawingArea<DB, Shift>,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE).map_err(draw_err)?;
    let (title, body) = area.split_vertically(30);
    let style = ("sans-serif", 16).into_text_style(&title);
    title
        .draw_text(&fig.title, &style, (6, 6))
        .map_err(draw_err)?;
    let (x0, y0, w) = fig.view.unwrap_or((0, 0, fig.image.nx.max(fig.image.ny)));
    let step = (w.max(1) as f64 / side as f64).max(1e-9);
    // block means over the output pixels (rows from the top, as the image is shown)
    let n = side as usize;
    let block = |px: usize, py: usize| -> f64 {
        let xa = x0 + (px as f64 * step) as usize;
        let xb = (x0 + ((px + 1) as f64 * step).ceil() as usize).max(xa + 1);
        let top = y0 + w;
        let ya = top
            .saturating_sub(((py + 1) as f64 * step).ceil() as usize)
            .max(y0);
        let yb = top.saturating_sub((py as f64 * step) as usize).max(ya + 1);
        let (mut sum, mut k) = (0.0, 0usize);
        for y in ya..yb.min(fig.image.ny) {
            for x in xa..xb.min(fig.image.nx) {
                sum += fig.image.get(x, y);
                k += 1;
            }
        }
        if k == 0 {
            f64::NAN
        } else {
            sum / k as f64
        }
    };
    let value = |v: f64| if fig.sqrt { v.max(0.0).sqrt() } else { v };
    let vals: Vec<f64> = (0..n * n).map(|i| value(block(i % n, i / n))).collect();
    let (mut lo, mut hi) = vals
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    if fig.signed {
        let m = lo.abs().max(hi.abs()).max(1e-30);
        (lo, hi) = (-m, m);
    }
    let range = (hi - lo).max(1e-30);
    for (i, v) in vals.iter().enumerate() {
        let c = if v.is_finite() {
            colour((v - lo) / range, fig.signed)
        } else {
            WHITE
        };
        body.draw_pixel(((i % n) as i32, (i / n) as i32), &c)
            .map_err(draw_err)?;
    }
    for (m, c) in &fig.masks {
        for (x, y) in mask_edge(m) {
            if x < x0 || y < y0 || x >= x0 + w || y >= y0 + w {
                continue;
            }
            let px = ((x - x0) as f64 / step) as i32;
            let py = ((y0 + w - 1 - y) as f64 / step) as i32;
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                body.draw_pixel((px + dx, py + dy), c).map_err(draw_err)?;
            }
        }
    }
    Ok(())
}
