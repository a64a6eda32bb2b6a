//! Synthetic event files and a stand-in GRPRMF CALDB shared by the getspec tests.
#![allow(dead_code)]

use nuskybgd::bgmodel::detrmf::RmfSource;
use nuskybgd::io::image::Image;
use nuskybgd::io::output::Output;
use nuskybgd::nustar::caldb_index::{write_index, IndexEntry};
use nuskybgd::tasks::getspec::{GetspecRequest, Grouping};
use std::path::Path;

/// One synthetic event: sky X, Y (real-valued), PI, DET_ID.
pub type Ev = (f64, f64, i64, i64);

pub fn write_events(path: &Path, instrume: &str, evs: &[Ev], with_det: bool) {
    Output::new(path.to_str().unwrap(), true)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            let mut cols = vec![("X", "1E", "pixel"), ("Y", "1E", "pixel"), ("PI", "1J", "")];
            if with_det {
                cols.push(("DET_ID", "1I", ""));
            }
            f.create_table("EVENTS", &cols, evs.len())?;
            f.set_key_str("TELESCOP", "NuSTAR", "")?;
            f.set_key_str("INSTRUME", instrume, "")?;
            f.set_key_str("DATE-OBS", "2016-02-12T19:06:40", "")?;
            f.set_key_str("OBS_ID", "60001047002", "")?;
            f.set_key_str("OBJECT", "Test field", "")?;
            f.set_key_f64("RA_NOM", 40.25, "")?;
            f.set_key_f64("EXPOSURE", 41234.5, "")?;
            f.set_key_f64("LIVETIME", 40000.25, "")?;
            for (c, t) in [(1, "RA---TAN"), (2, "DEC--TAN")] {
                f.set_key_str(&format!("TCTYP{c}"), t, "")?;
                f.set_key_f64(&format!("TCRPX{c}"), 500.5, "")?;
                f.set_key_f64(&format!("TCRVL{c}"), if c == 1 { 40.0 } else { -5.0 }, "")?;
                let d = 6.828076e-4;
                f.set_key_f64(&format!("TCDLT{c}"), if c == 1 { -d } else { d }, "")?;
                f.set_key_i64(&format!("TLMIN{c}"), 1, "")?;
                f.set_key_i64(&format!("TLMAX{c}"), 1000, "")?;
            }
            f.write_col_f64(1, &evs.iter().map(|e| e.0).collect::<Vec<_>>())?;
            f.write_col_f64(2, &evs.iter().map(|e| e.1).collect::<Vec<_>>())?;
            f.write_col_i64(3, &evs.iter().map(|e| e.2).collect::<Vec<_>>())?;
            if with_det {
                f.write_col_i64(4, &evs.iter().map(|e| e.3).collect::<Vec<_>>())?;
            }
            Ok(())
        })
        .unwrap();
}

/// Events: (count, x, y, pi, det). Inside `box(300,300,21,21,0)` (pixels 290..310):
/// 50 + 30 + 20 + 10 events on DET0, DET1, DET3, DET2; 25 outside.
pub const GROUPS: &[(usize, f64, f64, i64, i64)] = &[
    (50, 300.0, 300.0, 100, 0),
    (30, 295.0, 305.0, 200, 1),
    (20, 310.0, 290.0, 4000, 3),
    (10, 310.4, 300.0, 150, 2),
    (4, 310.6, 300.0, 150, 2),
    (7, 311.0, 300.0, 100, 0),
    (5, 289.0, 300.0, 100, 1),
    (9, 600.0, 600.0, 300, 3),
];

pub fn events() -> Vec<Ev> {
    GROUPS
        .iter()
        .flat_map(|&(n, x, y, pi, d)| std::iter::repeat_n((x, y, pi, d), n))
        .collect()
}

/// Stand-in CALDB: GRPRMF index rows DET0..3 (DEPTHCUT(NOMINAL)) → grprmf file with four
/// RMFFILE extensions; plus a later DET0 row with another boundary that must be ignored.
pub fn standin_caldb(root: &Path, rmf_names: &[&str; 4]) {
    let dir = root.join("data/nustar/fpm/cpf/rmf");
    std::fs::create_dir_all(&dir).unwrap();
    let grp = |name: &str, files: &[&str; 4]| {
        Output::new(dir.join(name).to_str().unwrap(), true)
            .write_fits(|f| {
                f.write_image(&Image::zeros(0, 0), 8)?;
                for (d, file) in files.iter().enumerate() {
                    f.create_table("GRPRMF", &[("RMFFILE", "40A", ""), ("GRADE", "20A", "")], 1)?;
                    f.set_key_str("DETNAM", &format!("DET{d}"), "")?;
                    f.write_col_str(1, &[file.to_string()])?;
                    f.write_col_str(2, &["0-4".to_string()])?;
                }
                Ok(())
            })
            .unwrap()
    };
    grp("nuAgrprmf20100101v001.fits", rmf_names);
    grp("nuAgrprmf20100101v999.fits", &["missing.rmf"; 4]);
    let idx = root.join("data/nustar/fpm/caldb.indx");
    let dir = "data/nustar/fpm/cpf/rmf";
    let rows: Vec<IndexEntry> = (0..4)
        .map(|d| {
            IndexEntry::new(
                "FPMA",
                "GRPRMF",
                &format!("DET{d}"),
                dir,
                "nuAgrprmf20100101v001.fits",
            )
            .ext(d + 1)
            .boundary("DEPTHCUT(NOMINAL)")
        })
        // a later entry of another depth cut, which must not be chosen
        .chain(std::iter::once(
            IndexEntry::new("FPMA", "GRPRMF", "DET0", dir, "nuAgrprmf20100101v999.fits")
                .ext(1)
                .from_date("2012-01-01")
                .boundary("DEPTHCUT(SHALLOW)"),
        ))
        .collect();
    write_index(&Output::new(idx.to_str().unwrap(), true), &rows, |_| Ok(())).unwrap();
}

pub fn req(evt: &Path, reg: &Path, out: &Path, rmf: RmfSource, group: Grouping) -> GetspecRequest {
    GetspecRequest {
        evt: evt.to_path_buf(),
        reg: reg.to_path_buf(),
        outdir: out.to_path_buf(),
        outprefix: None,
        group,
        rmf,
        clobber: false,
    }
}
