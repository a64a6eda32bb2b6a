//! Writing a CALDB index (`data/nustar/fpm/caldb.indx`, OGIP CAL/GEN/92-008 "CIF" table)
//! for stand-in calibration trees: the synthetic instrument and tests. Reading is in
//! [`crate::nustar::caldb`].

use crate::error::Result;
use crate::io::fits::Fits;
use crate::io::image::Image;
use crate::io::output::Output;

/// One row of a CALDB index.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexEntry {
    /// FPMA, FPMB or FPM.
    pub instrume: String,
    /// Calibration code (INSTRMAP, DETABS, GRPRMF, BADPIX, PIXPOS, …).
    pub cnam: String,
    /// DET0..DET3, or "-" for the whole module.
    pub detnam: String,
    /// Directory relative to the CALDB root, and file name.
    pub dir: String,
    pub file: String,
    /// Extension (1-based after the primary) holding this entry; 0 when not said.
    pub xno: i64,
    /// Validity start date (YYYY-MM-DD) and time (hh:mm:ss).
    pub vsd: String,
    pub vst: String,
    /// Quality (0 = good).
    pub qual: i64,
    /// Boundary, e.g. DEPTHCUT(NOMINAL); empty when none.
    pub cbd: String,
}

impl IndexEntry {
    /// An entry valid from 2010-01-01, quality 0, no boundary, extension not given.
    pub fn new(instrume: &str, cnam: &str, detnam: &str, dir: &str, file: &str) -> IndexEntry {
        IndexEntry {
            instrume: instrume.into(),
            cnam: cnam.into(),
            detnam: detnam.into(),
            dir: dir.into(),
            file: file.into(),
            xno: 0,
            vsd: "2010-01-01".into(),
            vst: "00:00:00".into(),
            qual: 0,
            cbd: String::new(),
        }
    }

    /// The same entry for extension `xno`.
    pub fn ext(mut self, xno: i64) -> IndexEntry {
        self.xno = xno;
        self
    }

    /// The same entry with a boundary (CAL_CBD).
    pub fn boundary(mut self, cbd: &str) -> IndexEntry {
        self.cbd = cbd.into();
        self
    }

    /// The same entry valid from `vsd`.
    pub fn from_date(mut self, vsd: &str) -> IndexEntry {
        self.vsd = vsd.into();
        self
    }
}

/// Write `entries` as a caldb.indx (primary HDU, then the CIF table); `extra` may add
/// keywords or history to the table header.
pub fn write_index(
    out: &Output,
    entries: &[IndexEntry],
    extra: impl FnOnce(&mut Fits) -> Result<()>,
) -> Result<()> {
    let col = |f: &dyn Fn(&IndexEntry) -> String| entries.iter().map(f).collect::<Vec<_>>();
    out.write_fits(|f| {
        f.write_image(&Image::zeros(0, 0), 8)?;
        f.create_table(
            "CIF",
            &[
                ("TELESCOP", "10A", ""),
                ("INSTRUME", "10A", ""),
                ("DETNAM", "20A", ""),
                ("CAL_DIR", "70A", ""),
                ("CAL_FILE", "40A", ""),
                ("CAL_CNAM", "20A", ""),
                ("CAL_VSD", "10A", ""),
                ("CAL_VST", "8A", ""),
                ("CAL_QUAL", "1I", ""),
                ("CAL_XNO", "1I", ""),
                ("CAL_CBD", "70A", ""),
            ],
            entries.len(),
        )?;
        f.write_col_str(1, &col(&|_| "NUSTAR".into()))?;
        f.write_col_str(2, &col(&|e| e.instrume.clone()))?;
        f.write_col_str(3, &col(&|e| e.detnam.clone()))?;
        f.write_col_str(4, &col(&|e| e.dir.clone()))?;
        f.write_col_str(5, &col(&|e| e.file.clone()))?;
        f.write_col_str(6, &col(&|e| e.cnam.clone()))?;
        f.write_col_str(7, &col(&|e| e.vsd.clone()))?;
        f.write_col_str(8, &col(&|e| e.vst.clone()))?;
        f.write_col_i64(9, &entries.iter().map(|e| e.qual).collect::<Vec<_>>())?;
        f.write_col_i64(10, &entries.iter().map(|e| e.xno).collect::<Vec<_>>())?;
        f.write_col_str(11, &col(&|e| e.cbd.clone()))?;
        extra(f)
    })
}
