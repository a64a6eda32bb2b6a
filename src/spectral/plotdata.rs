//! What XSPEC's `setplot energy; plot ldata delchi` shows of one spectrum, as numbers: per
//! noticed bin its energy range, the background-subtracted rate (counts s⁻¹ keV⁻¹) with its
//! error, the model rate in total and per source, and the residuals; with the display
//! rebinning of `setplot rebin MINSIG MAXBINS` (the plot only, never the fit).

use super::session::Session;
use crate::error::Result;

/// One plotted bin: energies in keV, counts (background subtracted) and their variance,
/// model counts per source, over `exposure` seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotBin {
    pub e_lo: f64,
    pub e_hi: f64,
    pub counts: f64,
    pub variance: f64,
    /// Predicted counts of each source (the session's order).
    pub model: Vec<f64>,
}

impl PlotBin {
    /// Total predicted counts.
    pub fn model_total(&self) -> f64 {
        self.model.iter().sum()
    }
}

/// One spectrum of a session ready to plot.
#[derive(Debug, Clone, PartialEq)]
pub struct SpectrumPlot {
    /// Data set number (1-based) and its file.
    pub number: usize,
    pub file: String,
    pub instrume: String,
    pub exposure: f64,
    /// Source names (`apbgd`, … or `source N`).
    pub sources: Vec<String>,
    pub bins: Vec<PlotBin>,
}

/// Which residuals to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Residuals {
    /// (data − model) / error, XSPEC's `delchi`.
    Delchi,
    /// data / model.
    Ratio,
    None,
}

impl Residuals {
    /// Parse `delchi`, `ratio` or `none`.
    pub fn parse(s: &str) -> Option<Residuals> {
        match s {
            "delchi" => Some(Residuals::Delchi),
            "ratio" => Some(Residuals::Ratio),
            "none" => Some(Residuals::None),
            _ => None,
        }
    }
}

impl SpectrumPlot {
    /// The noticed bins of data set `di` of `sess` at its current parameters.
    pub fn of(sess: &Session, di: usize) -> Result<SpectrumPlot> {
        let ds = &sess.data[di];
        let mut per_source = Vec::new();
        for si in 0..sess.sources.len() {
            per_source.push(ds.bins.sum(&sess.channel_counts(di, si, None)?));
        }
        let counts = ds.bins.sum(&ds.spectrum.counts);
        let mut var = match &ds.spectrum.stat_err {
            Some(e) => ds.bins.sum(&e.iter().map(|x| x * x).collect::<Vec<_>>()),
            None => counts.clone(),
        };
        let mut net = counts.clone();
        if let Some(b) = &ds.background {
            let bc = ds.bins.sum(&b.counts);
            for k in 0..net.len() {
                net[k] -= b.scale * bc[k];
                var[k] += b.scale * b.scale * bc[k].max(0.0);
            }
        }
        let rmf = ds.resp.iter().flatten().next().map(|r| r.rmf.clone());
        let mut bins = Vec::new();
        for (k, &(first, last)) in ds.bins.span.iter().enumerate() {
            let Some(r) = rmf.as_ref().filter(|_| ds.noticed[k]) else {
                continue;
            };
            if last >= r.e_max.len() {
                continue;
            }
            bins.push(PlotBin {
                e_lo: r.e_min[first],
                e_hi: r.e_max[last],
                counts: net[k],
                variance: var[k],
                model: per_source.iter().map(|m| m[k]).collect(),
            });
        }
        Ok(SpectrumPlot {
            number: ds.number,
            file: ds.file.clone(),
            instrume: ds.spectrum.instrume.clone(),
            exposure: ds.spectrum.exposure,
            sources: sess
                .sources
                .iter()
                .map(|s| {
                    s.name
                        .clone()
                        .unwrap_or_else(|| format!("source {}", s.number))
                })
                .collect(),
            bins,
        })
    }

    /// Adjacent bins combined, from low energy up, until the combined bin's significance
    /// (counts / error) reaches `min_sig` or `max_bins` bins are in it (XSPEC's `setplot
    /// rebin`); a last bin short of either is kept as it is.
    pub fn rebinned(&self, min_sig: f64, max_bins: usize) -> SpectrumPlot {
        let mut out = Vec::new();
        let mut acc: Option<(PlotBin, usize)> = None;
        for b in &self.bins {
            let (a, n) = match acc.take() {
                None => (b.clone(), 1),
                Some((mut a, n)) => {
                    a.e_hi = b.e_hi;
                    a.counts += b.counts;
                    a.variance += b.variance;
                    for (m, x) in a.model.iter_mut().zip(&b.model) {
                        *m += x;
                    }
                    (a, n + 1)
                }
            };
            let sig = a.counts / a.variance.max(1e-300).sqrt();
            if sig >= min_sig || n >= max_bins.max(1) {
                out.push(a);
            } else {
                acc = Some((a, n));
            }
        }
        if let Some((a, _)) = acc {
            out.push(a);
        }
        SpectrumPlot {
            bins: out,
            ..self.clone()
        }
    }

    /// Rate per keV of `counts` in bin `b` (counts s⁻¹ keV⁻¹).
    pub fn rate(&self, b: &PlotBin, counts: f64) -> f64 {
        counts / (self.exposure * (b.e_hi - b.e_lo))
    }

    /// The residual of each bin with its error.
    pub fn residuals(&self, kind: Residuals) -> Vec<(f64, f64)> {
        self.bins
            .iter()
            .map(|b| {
                let (m, e) = (b.model_total(), b.variance.sqrt());
                match kind {
                    Residuals::Delchi if e > 0.0 => ((b.counts - m) / e, 1.0),
                    Residuals::Ratio if m > 0.0 => (b.counts / m, e / m),
                    _ => (f64::NAN, 0.0),
                }
            })
            .collect()
    }
}
