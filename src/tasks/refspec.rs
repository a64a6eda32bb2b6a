//! Reference spectra of the aperture and fCXB components per detector (the original's
//! imrefspec): noise-free spectra of cutoffpl(1.29, 41.13, 0.002353) with exposure 1e9 s,
//! through the auxil `be.arf` (aperture) and `fcxb<M>.arf` (focused CXB) and the absorbed
//! detector RMF `det<d><M>.rmf` that absrmf writes.

use crate::error::{Result, TaskError};
use crate::io::output::{check_all, Output};
use crate::nustar::module::Module;
use crate::spectral::expr::Expression;
use crate::spectral::ogip::pha::{write_pha, PhaOut};
use crate::spectral::ogip::{arf::Arf, rmf::Rmf};
use std::path::PathBuf;

/// Model of the reference spectra (XSPEC cutoffpl: PhoIndex, HighECut keV, norm).
pub const REF_MODEL: (&str, [f64; 3]) = ("cutoffpl", [1.29, 41.13, 0.002353]);
/// Exposure of the reference spectra (s).
pub const REF_EXPOSURE: f64 = 1e9;

/// What to make.
#[derive(Debug, Clone)]
pub struct RefspecRequest {
    /// Directory holding `det<d><M>.rmf`; outputs go there too.
    pub dir: PathBuf,
    pub mods: Vec<Module>,
    /// Detectors 0..3.
    pub dets: Vec<usize>,
    /// Auxiliary directory (be.arf, fcxbA.arf, fcxbB.arf).
    pub auxil: PathBuf,
    pub clobber: bool,
}

/// Files written and RMFs not found.
#[derive(Debug, Clone, Default)]
pub struct RefspecSummary {
    /// (aperture spectrum, fCXB spectrum, total counts of each).
    pub written: Vec<(PathBuf, PathBuf, f64, f64)>,
    pub missing: Vec<PathBuf>,
}

/// Counts per channel = `exposure` × Σ_E F(E)·A(E)·R(E, c), rounded to the nearest integer.
pub fn reference_counts(rmf: &Rmf, arf: &Arf, exposure: f64) -> Result<Vec<f64>> {
    arf.check_against(rmf)?;
    let flux = Expression::parse(REF_MODEL.0)?.eval(&REF_MODEL.1, &rmf.edges())?;
    let mut c = vec![0.0; rmf.nchan];
    rmf.fold_into(&flux, Some(&arf.area), &mut c);
    Ok(c.iter().map(|v| (v * exposure).round()).collect())
}

/// Write `aperbgd<M>_det<d>.pha` and `fcxbbgd<M>_det<d>.pha` for every `det<d><M>.rmf`
/// present. Error when none is present; all outputs are checked before any is written.
pub fn refspec(req: &RefspecRequest) -> Result<RefspecSummary> {
    let mut s = RefspecSummary::default();
    let mut jobs = Vec::new();
    for &m in &req.mods {
        for &d in &req.dets {
            if d > 3 {
                return Err(TaskError::BadDetector { det: d }.into());
            }
            let rmf = req.dir.join(format!("det{d}{}.rmf", m.letter()));
            if !rmf.is_file() {
                s.missing.push(rmf);
                continue;
            }
            let o = |n: String| Output {
                path: req.dir.join(n),
                clobber: req.clobber,
            };
            jobs.push((
                m,
                rmf,
                o(format!("aperbgd{}_det{d}.pha", m.letter())),
                o(format!("fcxbbgd{}_det{d}.pha", m.letter())),
            ));
        }
    }
    if jobs.is_empty() {
        return Err(TaskError::NoDetectorRmfs {
            path: req.dir.clone(),
        }
        .into());
    }
    let outs: Vec<Output> = jobs
        .iter()
        .flat_map(|j| [j.2.clone(), j.3.clone()])
        .collect();
    check_all(&outs)?;
    let be = Arf::read(&req.auxil.join("be.arf"))?;
    for (m, rmf_path, ap_out, fc_out) in jobs {
        let rmf = crate::spectral::ogip::store::read_rmf(&rmf_path)?;
        let fcxb = Arf::read(&req.auxil.join(format!("fcxb{}.arf", m.letter())))?;
        let mut tot = [0.0; 2];
        for (k, (arf, out)) in [(&be, &ap_out), (&fcxb, &fc_out)].into_iter().enumerate() {
            let counts = reference_counts(&rmf, arf, REF_EXPOSURE)?;
            tot[k] = counts.iter().sum();
            let mut p = PhaOut::new(m.instrume(), counts, REF_EXPOSURE);
            p.respfile = rmf_path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            p.ancrfile = Some(arf.path.to_string_lossy().into_owned());
            p.history = vec![format!(
                "nuskybgd refspec: {}({}) x {} x {}, no noise",
                REF_MODEL.0,
                REF_MODEL.1.map(|v| v.to_string()).join(", "),
                arf.path.display(),
                rmf_path.display()
            )];
            write_pha(out, &p)?;
        }
        s.written.push((ap_out.path, fc_out.path, tot[0], tot[1]));
    }
    Ok(s)
}
