//! The background model save file against the worked example of SPEC §6.3 (two FPMA
//! spectra, the port's own arithmetic on the shipped ratios.json).

use crate::support;
use nuskybgd::bgmodel::model_build::{build_xcm, intn_reference_norm, BuildOptions, SpectrumGeom};
use nuskybgd::bgmodel::presets::Presets;
use nuskybgd::nustar::module::Module;

/// Equal lines, except that link coefficients (`= c*name:pN`) may differ by 2e-6: the
/// example's areas are printed with two decimals, the example used more.
fn same(ours: &[String], want: &[&str]) {
    assert_eq!(ours.len(), want.len());
    for (a, b) in ours.iter().zip(want) {
        let coeff = |s: &str| -> Option<(f64, String)> {
            let rest = s.strip_prefix("= ")?;
            let (c, r) = rest.split_once('*')?;
            Some((
                c.replace("e0", "e+0")
                    .replace("e1", "e+1")
                    .replace("e+0-", "e-")
                    .parse()
                    .ok()?,
                r.to_string(),
            ))
        };
        match (coeff(a), coeff(b)) {
            (Some((x, ra)), Some((y, rb))) => {
                assert_eq!(ra, rb, "{a} vs {b}");
                assert!((x - y).abs() <= 2e-6 * y.abs(), "{a} vs {b}");
            }
            _ => assert_eq!(a, b),
        }
    }
}

/// Module A background spectrum `n` (files `bgd<n>A_sr*`) with its detector areas
/// (sub-pixels) and aperture weight.
fn geom(n: usize, area: [f64; 4], apw: f64) -> SpectrumGeom {
    SpectrumGeom {
        pha: format!("bgd{n}A_sr_g30.pha"),
        rmf: format!("bgd{n}A_sr.rmf"),
        nsb_arf: format!("bgd{n}A_sr_g30_nsb.arf"),
        module: Module::A,
        area,
        apw,
        det_total: [26740.0, 26793.0, 27150.0, 26790.0],
    }
}

fn example(fix: bool, solar_off: bool) -> Option<Vec<String>> {
    let p = support::shared("model_build_example", "auxil/ratios.json")?;
    let presets = Presets::read(&p).unwrap();
    let specs = [
        geom(1, [0.0, 0.0, 8975.66, 646.72], 318.29425),
        geom(2, [0.0, 0.0, 0.0, 9660.42], 355.85367),
    ];
    let opt = BuildOptions {
        fix_line_ratios: fix,
        fcxb_links: vec![],
        solar_off,
        apec_off: false,
        diag_rmf: "/opt/nuskybgd/auxil/diag.rmf".into(),
        fcxb_arf_a: "/opt/nuskybgd/auxil/fcxbA.arf".into(),
        fcxb_arf_b: "/opt/nuskybgd/auxil/fcxbB.arf".into(),
        ignore: Some("1:1-4,118-131 2:1-4,121-135".into()),
        intn_port_scale: true,
    };
    Some(
        build_xcm(&presets, &specs, &opt)
            .unwrap()
            .lines()
            .map(String::from)
            .collect(),
    )
}

/// The worked example up to the first intbgd line: data, responses, settings and apbgd.
const EXAMPLE_HEAD: &str = "statistic chi
data 1:1 bgd1A_sr_g30.pha
response  2:1 bgd1A_sr.rmf
response  3:1 bgd1A_sr.rmf
response  4:1 bgd1A_sr.rmf
response  5:1 /opt/nuskybgd/auxil/diag.rmf
arf 2:1 bgd1A_sr_g30_nsb.arf
arf 4:1 /opt/nuskybgd/auxil/fcxbA.arf

data 2:2 bgd2A_sr_g30.pha
response  2:2 bgd2A_sr.rmf
response  3:2 bgd2A_sr.rmf
response  4:2 bgd2A_sr.rmf
response  5:2 /opt/nuskybgd/auxil/diag.rmf
arf 2:2 bgd2A_sr_g30_nsb.arf
arf 4:2 /opt/nuskybgd/auxil/fcxbA.arf
ignore 1:1-4,118-131 2:1-4,121-135

method leven 30000 0.0001
abund angr
xsect vern
cosmo 70 0 0.73
xset delta -1
systematic 0
model  2:apbgd cutoffpl
           1.29      -0.01         -3         -2          9         10
          41.13      -0.01       0.01          1        500        500
      0.0234046       0.01          0          0      1e+20      1e+24
= apbgd:p1
= apbgd:p2
= 1.118002e00*apbgd:p3";

/// The worked example from the fcxb model to the end.
const EXAMPLE_TAIL: &str = "model  4:fcxb cutoffpl
= apbgd:p1
= apbgd:p2
    1.58341e-05       0.01          0          0      1e+20      1e+24
= apbgd:p1
= apbgd:p2
    1.58967e-05       0.01          0          0      1e+20      1e+24
model  5:intn bknpower
          -0.05      -0.01         -3         -2          9         10
            124      -0.01          0       0.01      1e+06      1e+06
          -0.85      -0.01         -3         -2          9         10
    0.000373057       0.01          0          0      1e+20      1e+24
          -0.05      -0.01         -3         -2          9         10
            124      -0.01          0       0.01      1e+06      1e+06
          -0.85      -0.01         -3         -2          9         10
= 1.090496e00*intn:p4";

#[test]
fn matches_the_worked_example() {
    let Some(ours) = example(false, false) else {
        return;
    };
    let head: Vec<&str> = EXAMPLE_HEAD.lines().collect();
    assert_eq!(&ours[..head.len()], head.as_slice());
    let m3 = head.len();
    check_intbgd(&ours, m3);
    let tail: Vec<&str> = EXAMPLE_TAIL.lines().collect();
    same(&ours[m3 + 183..], &tail);
}

/// The intbgd model starting at line `m3`: its components, the first group's values and
/// the second group's links.
fn check_intbgd(ours: &[String], m3: usize) {
    assert!(ours[m3].starts_with("model  3:intbgd apec + lorentz + lorentz"));
    assert_eq!(ours[m3].matches("lorentz").count(), 29);
    let g1 = [
        "        1.14579      -0.01      0.008      0.008         64         64",
        "        1.32692     -0.001          0          0          5          5",
        "              0      -0.01     -0.999     -0.999         10         10",
        "       0.215189       0.01          0          0      1e+20      1e+24",
        "        3.53895      -0.05          0          0      1e+06      1e+06",
        "       0.425422      -0.05          0          0         10         20",
        "     0.00210865       0.01          0          0      1e+20      1e+24",
    ];
    assert_eq!(&ours[m3 + 1..m3 + 8], g1.as_slice());
    let g1_end = [
        "        144.556      -0.05          0          0      1e+06      1e+06",
        "       0.735737      -0.05          0          0         10         20",
        "     0.00299451       0.01          0          0      1e+20      1e+24",
    ];
    assert_eq!(&ours[m3 + 89..m3 + 92], g1_end.as_slice());
    let g2 = [
        "= intbgd:p1",
        "= intbgd:p2",
        "= intbgd:p3",
        "= 1.649939e00*intbgd:p4",
        "= intbgd:p5",
        "= intbgd:p6",
        "= 7.164754e-01*intbgd:p7",
    ];
    same(&ours[m3 + 92..m3 + 99], &g2);
    same(&ours[m3 + 182..m3 + 183], &["= 1.096634e00*intbgd:p91"]);
}

#[test]
fn line_ratio_and_solar_options() {
    let Some(fixed) = example(true, false) else {
        return;
    };
    let m3 = fixed
        .iter()
        .position(|l| l.starts_with("model  3:"))
        .unwrap();
    // lorentz_6 (parameter 19) tied to lorentz_5's norm (parameter 16) with ratio 4.53306
    same(&fixed[m3 + 19..m3 + 20], &["= 4.533060e00*intbgd:p16"]);
    let off = example(false, true).unwrap();
    for p in [4usize, 7, 10, 13] {
        assert!(
            off[m3 + p].trim_start().starts_with("0      -0.01"),
            "parameter {p}: {}",
            off[m3 + p]
        );
    }
    assert!(off[m3 + 16].contains("0.01 ") || off[m3 + 16].contains("       0.01"));
}

#[test]
fn the_model_file_loads_and_its_links_resolve() {
    let Some(lines) = example(false, false) else {
        return;
    };
    let dir = support::scratch("model_build_load");
    let p = dir.join("bgdparams.xcm");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    let s = nuskybgd::spectral::run::load(&p, false).unwrap();
    let names: Vec<&str> = s
        .sources
        .iter()
        .map(|x| x.name.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(names, ["apbgd", "intbgd", "fcxb", "intn"]);
    let lens: Vec<usize> = s.params.iter().map(Vec::len).collect();
    assert_eq!(lens, [6, 182, 6, 8]);
    let ap = &s.params[0];
    assert!((ap[5].value - 1.118002 * ap[2].value).abs() < 1e-6 * ap[2].value);
    // fcxb indices follow apbgd's; only the reference norms and fcxb norms are free
    assert_eq!(s.params[2][3].value, 1.29);
    let free = s.free().len();
    assert_eq!(free, 1 + (1 + 29) + 2 + 1);
}

#[test]
fn simplify_keeps_the_source_spectra_with_the_background_frozen() {
    let Some(p) = support::shared("simplify", "auxil/ratios.json") else {
        return;
    };
    let presets = Presets::read(&p).unwrap();
    // two background spectra and a third standing for the source spectrum
    let specs = [
        geom(1, [0.0, 0.0, 8975.66, 646.72], 318.29),
        geom(2, [0.0, 0.0, 0.0, 9660.42], 355.85),
        geom(3, [10.0, 0.0, 2000.0, 0.0], 50.0),
    ];
    let opt = BuildOptions {
        fix_line_ratios: false,
        fcxb_links: vec![],
        solar_off: false,
        apec_off: false,
        diag_rmf: "diag.rmf".into(),
        fcxb_arf_a: "fcxbA.arf".into(),
        fcxb_arf_b: "fcxbB.arf".into(),
        ignore: Some("1:1-4 2:1-4 3:1-5".into()),
        intn_port_scale: true,
    };
    let dir = support::scratch("simplify");
    let src = dir.join("bgd_src.xcm");
    std::fs::write(&src, build_xcm(&presets, &specs, &opt).unwrap()).unwrap();
    let before = nuskybgd::spectral::run::load(&src, false).unwrap();
    let bg = vec![
        std::path::PathBuf::from("bgd1A_sr_g30.pha"),
        std::path::PathBuf::from("bgd2A_sr_g30.pha"),
    ];
    let text = nuskybgd::tasks::simplify::simplify(&src, &bg).unwrap();
    assert!(
        text.contains("data 1:1 bgd3A_sr_g30.pha\nresponse  2:1 bgd3A_sr.rmf"),
        "{text}"
    );
    assert!(text.contains("ignore 1:1-5\n"));
    assert!(!text.contains("bgd1A"));
    let out = dir.join("bgd_only_src.xcm");
    std::fs::write(&out, &text).unwrap();
    let after = nuskybgd::spectral::run::load(&out, false).unwrap();
    assert!(after.free().is_empty(), "everything frozen");
    for (si, ps) in after.params.iter().enumerate() {
        let p = ps.len();
        let old = &before.params[si][2 * p..3 * p];
        for (a, b) in ps.iter().zip(old) {
            assert!(a.link.is_none());
            assert!(
                (a.value - b.value).abs() <= 1e-5 * b.value.abs().max(1e-30),
                "{} {} vs {}",
                a.name,
                a.value,
                b.value
            );
        }
    }
    // the background spectra must come first, in bgdinfo's order
    let wrong = vec![
        std::path::PathBuf::from("bgd2A_sr_g30.pha"),
        std::path::PathBuf::from("bgd1A_sr_g30.pha"),
    ];
    let e = nuskybgd::tasks::simplify::simplify(&src, &wrong)
        .unwrap_err()
        .to_string();
    assert!(e.contains("different order"), "{e}");
}

/// The intn reference norm reproduces the IDL original's own calibration: a region that
/// collects a whole detector image gets that detector's whole-detector continuum norm from
/// the IDL `ratios?.dat` (the last row), and the whole focal plane their sum; it scales
/// linearly with the region. nuskybgd-py's value for the same region is 1.8x larger.
#[test]
fn intn_reference_norm_matches_the_idl_whole_detector_norms() {
    let Some(p) = support::shared("intn_reference_norm", "auxil/ratios.json") else {
        return;
    };
    let presets = Presets::read(&p).unwrap();
    let root = p.parent().unwrap();
    for (m, file) in [
        (Module::A, "idl_ratiosA.dat"),
        (Module::B, "idl_ratiosB.dat"),
    ] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let last: Vec<f64> = text
            .lines()
            .last()
            .unwrap()
            .split_whitespace()
            .map(|v| v.parse().unwrap())
            .collect();
        let idl = [last[2], last[3], last[4], last[5]];
        let f = presets.intn.module(m)[0].ifactors.unwrap();
        let total = [26740.0, 26793.0, 27150.0, 26790.0];
        for d in 0..4 {
            let mut area = [0.0; 4];
            area[d] = total[d];
            let v = intn_reference_norm(&area, &total, &f, false);
            assert!(
                (v / idl[d] - 1.0).abs() < 1e-5,
                "{m:?} DET{d}: {v} vs IDL {}",
                idl[d]
            );
            area[d] = total[d] / 2.0;
            let h = intn_reference_norm(&area, &total, &f, false);
            assert!((h / v - 0.5).abs() < 1e-12);
        }
        let all = intn_reference_norm(&total, &total, &f, false);
        assert!((all / idl.iter().sum::<f64>() - 1.0).abs() < 1e-5);
        let port = intn_reference_norm(&total, &total, &f, true);
        assert!(
            (port / all - 1.78).abs() < 0.05,
            "port/idl = {}",
            port / all
        );
    }
}

/// The model read back from its own save file is the same model, and writes the same text;
/// a save file whose layout the model cannot hold is refused at its line.
#[test]
fn the_model_reads_back_from_its_save_file() {
    use nuskybgd::bgmodel::model::BackgroundModel;
    use nuskybgd::error::ModelError;
    use nuskybgd::spectral::xcm::file::XcmFile;
    use std::path::Path;
    let Some(lines) = example(true, false) else {
        return;
    };
    let text = lines.join("\n") + "\n";
    let path = Path::new("model.xcm");
    let x = XcmFile::parse(path, &text).unwrap();
    let model = BackgroundModel::from_xcm(&x, path).unwrap();
    assert_eq!(model.spectra.len(), 2);
    assert_eq!(model.spectra[1].arfs[1].1, "/opt/nuskybgd/auxil/fcxbA.arf");
    assert_eq!(model.ignore, ["1:1-4,118-131", "2:1-4,121-135"]);
    let names: Vec<_> = model
        .sources
        .iter()
        .map(|s| s.name.clone().unwrap())
        .collect();
    assert_eq!(names, ["apbgd", "intbgd", "fcxb", "intn"]);
    assert_eq!(model.sources[0].params.len(), 6);
    assert_eq!(model.to_text(), text);
    let again = XcmFile::parse(path, &model.to_text()).unwrap();
    assert_eq!(BackgroundModel::from_xcm(&again, path).unwrap(), model);

    let late = text.replace("model  5:intn", "data 3:3 late.pha\nmodel  5:intn");
    let n = late
        .lines()
        .position(|l| l.starts_with("data 3:3"))
        .unwrap()
        + 1;
    let err = BackgroundModel::from_xcm(&XcmFile::parse(path, &late).unwrap(), path).unwrap_err();
    assert!(
        matches!(&err, nuskybgd::Error::Model(ModelError::SaveFile { line, .. }) if *line == n),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        format!("model.xcm:{n}: a data command after the ignore, the settings or the models")
    );
    let skip = text.replace("data 2:2", "data 3:3");
    let err = BackgroundModel::from_xcm(&XcmFile::parse(path, &skip).unwrap(), path).unwrap_err();
    assert!(
        err.to_string().contains("spectrum 3 is not the next one"),
        "{err}"
    );
}
