//! Line components: gaussian, zgauss, lorentz. Like XSPEC, a line is built outward from
//! the bin holding its centre on each side, bin by bin, from the fraction of the line
//! between the centre and each bin edge; once what is left of a side falls below a
//! critical fraction, the rest is put into the current bin and nothing further out.

use crate::error::Result;

/// Lorentzian flux in the bins nearest the centre is kept to this fraction of the line
/// per side (as XSPEC's lorentz); Gaussians to 1e-8 (XSPEC's gaussian).
const CRT_GAUSS: f64 = 1e-8;
const CRT_LORENTZ: f64 = 1e-6;

#[derive(Clone, Copy)]
enum Shape {
    /// sigma
    Gauss(f64),
    /// FWHM, with the normalisation 1/(π/2 − atan(−2E₀/W)) so the line integrates to 1
    /// over E > 0
    Lorentz(f64, f64),
}

/// Fraction of the line within ±|e − ec| of the centre (times 2 for the Lorentzian's
/// per-side convention: each side holds half of the returned total).
fn fraction(shape: Shape, e: f64, ec: f64) -> f64 {
    match shape {
        Shape::Gauss(s) => libm::erf((e - ec).abs() / s / std::f64::consts::SQRT_2),
        Shape::Lorentz(w, norm) => 2.0 * (2.0 * (e - ec).abs() / w).atan() * norm,
    }
}

/// Add a line of total flux `flux` centred at `ec` onto `out` (bins between `e` edges).
fn add_line(e: &[f64], ec: f64, shape: Shape, flux: f64, crt: f64, out: &mut [f64]) {
    let ne = e.len();
    let (efirst, elast) = (e[0], e[ne - 1]);
    // bin i with e[i] < ec <= e[i+1], or None outside the grid
    let icen = if ec <= efirst || ec > elast {
        None
    } else {
        Some(e.partition_point(|&x| x < ec) - 1)
    };
    let zero_width = match shape {
        Shape::Gauss(s) => s == 0.0,
        Shape::Lorentz(w, _) => w == 0.0,
    };
    if zero_width {
        if let Some(i) = icen {
            out[i] += flux;
        }
        return;
    }
    if ec >= efirst {
        let mut i = icen.unwrap_or(ne - 2) as isize;
        let mut alow = 0.0;
        let mut inside = fraction(shape, efirst, ec) / 2.0;
        if ec > elast {
            alow = fraction(shape, elast, ec);
            inside -= alow / 2.0;
        }
        let mut sum = 0.0;
        while i >= 0 {
            let ahi = fraction(shape, e[i as usize], ec);
            let fr = (ahi - alow) / 2.0;
            out[i as usize] += fr * flux;
            sum += fr;
            if inside - sum < crt {
                out[i as usize] += (inside - sum) * flux;
                break;
            }
            alow = ahi;
            i -= 1;
        }
    }
    if ec <= elast {
        let mut i = icen.unwrap_or(0);
        let mut alow = 0.0;
        let mut inside = fraction(shape, elast, ec) / 2.0;
        if ec < efirst {
            alow = fraction(shape, e[0], ec);
            inside -= alow / 2.0;
        }
        let mut sum = 0.0;
        while i < ne - 1 {
            let ahi = fraction(shape, e[i + 1], ec);
            let fr = (ahi - alow) / 2.0;
            out[i] += fr * flux;
            sum += fr;
            if inside - sum < crt {
                out[i] += (inside - sum) * flux;
                break;
            }
            alow = ahi;
            i += 1;
        }
    }
}

fn clear(out: &mut [f64]) {
    out.iter_mut().for_each(|o| *o = 0.0);
}

/// gaussian(LineE, Sigma): a Gaussian line of unit flux.
pub fn gaussian(p: &[f64], e: &[f64], out: &mut [f64]) -> Result<()> {
    clear(out);
    add_line(e, p[0], Shape::Gauss(p[1]), 1.0, CRT_GAUSS, out);
    Ok(())
}

/// zgauss(LineE, Sigma, Redshift): the rest-frame line observed at E/(1+z) with width
/// σ/(1+z) and flux 1/(1+z).
pub fn zgauss(p: &[f64], e: &[f64], out: &mut [f64]) -> Result<()> {
    clear(out);
    let z1 = 1.0 + p[2];
    add_line(
        e,
        p[0] / z1,
        Shape::Gauss(p[1] / z1),
        1.0 / z1,
        CRT_GAUSS,
        out,
    );
    Ok(())
}

/// lorentz(LineE, Width = FWHM): a Lorentzian of unit flux over E > 0.
pub fn lorentz(p: &[f64], e: &[f64], out: &mut [f64]) -> Result<()> {
    clear(out);
    let (ec, w) = (p[0], p[1]);
    let norm = if w > 0.0 {
        1.0 / (std::f64::consts::FRAC_PI_2 - (-2.0 * ec / w).atan())
    } else {
        1.0
    };
    add_line(e, ec, Shape::Lorentz(w, norm), 1.0, CRT_LORENTZ, out);
    Ok(())
}
