//! The bad-input catalogue: every task given what a careless user or a malformed file gives
//! it. Each case must exit non-zero with one line on stderr naming the file or argument at
//! fault, leave nothing behind and change no existing file. Then the refusals of issue 8
//! that used to say the wrong thing or nothing, each with its message.

use crate::support::{self, assert_variant, getspec_fixture};
use nuskybgd::error::{IoError, ModelError, NustarError, SkyError, SpectralError};
use nuskybgd::io::fits::Fits;
use nuskybgd::io::image::Image;
use nuskybgd::io::output::Output;
use nuskybgd::Error;
use std::collections::BTreeMap;
use std::path::Path;

/// Every file under `dir` (relative name → bytes), hidden ones included.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    out
}

/// An `n`x`n` sky image with a TAN WCS of NuSTAR's sky pixel and PA_PNT.
fn write_sky_image(path: &Path, n: usize) {
    Output::new(path.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(n, n), 32)?;
            for (ax, ctype) in [(1, "RA---TAN"), (2, "DEC--TAN")] {
                f.set_key_str(&format!("CTYPE{ax}"), ctype, "")?;
                f.set_key_f64(&format!("CRPIX{ax}"), n as f64 / 2.0, "")?;
                f.set_key_f64(&format!("CRVAL{ax}"), 10.0, "")?;
                f.set_key_f64(&format!("CDELT{ax}"), 2.4581 / 3600.0, "")?;
            }
            f.set_key_f64("PA_PNT", 10.0, "")
        })
        .unwrap();
}

/// A 360x360 instrument map all `value`.
fn write_instrmap(path: &Path, value: f64) {
    let mut img = Image::zeros(360, 360);
    img.data.iter_mut().for_each(|v| *v = value);
    Output::new(path.to_str().unwrap(), false)
        .write_fits(|f| f.write_image(&img, 32))
        .unwrap();
}

/// A DET1 reference-point file of FPMA with three samples at 0, 1, 2 s.
fn write_det1(path: &Path) {
    Output::new(path.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            let cols = [
                ("TIME", "1D", "s"),
                ("X_DET1", "1D", "pixel"),
                ("Y_DET1", "1D", "pixel"),
            ];
            f.create_table("DET1_REFPOINT", &cols, 3)?;
            f.set_key_str("TELESCOP", "NuSTAR", "")?;
            f.set_key_str("INSTRUME", "FPMA", "")?;
            f.write_col_f64(1, &[0.0, 1.0, 2.0])?;
            f.write_col_f64(2, &[500.5, 500.5, 501.5])?;
            f.write_col_f64(3, &[400.2, 400.2, 400.2])
        })
        .unwrap();
}

/// A GTI file with the rows given.
fn write_gti(path: &Path, rows: &[(f64, f64)]) {
    Output::new(path.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            let cols = [("START", "1D", "s"), ("STOP", "1D", "s")];
            f.create_table("GTI", &cols, rows.len())?;
            f.set_key_str("HDUCLAS1", "GTI", "")?;
            let (a, b): (Vec<f64>, Vec<f64>) = rows.iter().cloned().unzip();
            f.write_col_f64(1, &a)?;
            f.write_col_f64(2, &b)
        })
        .unwrap();
}

/// A 3x2 aspect histogram, with or without X_OFF/Y_OFF.
fn write_aspect(path: &Path, offsets: bool) {
    let mut img = Image::zeros(3, 2);
    img.data.iter_mut().for_each(|v| *v = 1.0);
    Output::new(path.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&img, -64)?;
            if offsets {
                f.set_key_i64("X_OFF", 400, "")?;
                f.set_key_i64("Y_OFF", 400, "")?;
            }
            Ok(())
        })
        .unwrap();
}

/// The catalogue's input files, written into `dir`.
fn write_fixtures(dir: &Path) {
    let w = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    getspec_fixture::write_events(
        &dir.join("ev.evt"),
        "FPMA",
        &getspec_fixture::events(),
        true,
    );
    write_sky_image(&dir.join("im.fits"), 20);
    write_sky_image(&dir.join("sky.fits"), 1000);
    write_instrmap(&dir.join("instr0.fits"), 0.0);
    write_instrmap(&dir.join("instr7.fits"), 7.0);
    write_det1(&dir.join("det1.fits"));
    write_gti(&dir.join("gti.fits"), &[(0.0, 10.0)]);
    write_gti(&dir.join("gtirev.fits"), &[(0.0, 10.0), (30.0, 20.0)]);
    write_aspect(&dir.join("asp.fits"), true);
    write_aspect(&dir.join("aspnooff.fits"), false);
    support::pha::PhaFixture::new(nuskybgd::nustar::module::Module::A)
        .counts(&vec![1.0; 4096])
        .write(&dir.join("s.pha"));
    w("text.fits", "this is not FITS\n");
    std::fs::write(dir.join("empty.fits"), b"").unwrap();
    let mut card = vec![b' '; 2880];
    card[..30].copy_from_slice(b"SIMPLE  =                    T");
    card[80..82].copy_from_slice(b"A=");
    card[82..160].copy_from_slice(&[b'9'; 78]);
    std::fs::write(dir.join("card.fits"), card).unwrap();
    let ev = std::fs::read(dir.join("ev.evt")).unwrap();
    std::fs::write(dir.join("trunc.evt"), &ev[..ev.len() / 2 + 100]).unwrap();
    w("c.reg", "image\ncircle(10,10,3)\n");
    w("g.reg", "image\nbox(300,300,21,21,0)\n");
    w("excl.reg", "image\n-circle(10,10,3)\n");
    w("syntax.reg", "image\ncircle(10,10\n");
    w("shape.reg", "image\nblob(1,2,3)\n");
    w("far.reg", "fk5\ncircle(190,-80,10\")\n");
    w("empty.reg", "# nothing\n");
    w("notjson.json", "{ bgfiles: [");
    w(
        "typo.json",
        r#"{"bgfiles": ["s.pha"], "regfiles": ["c.reg"], "refimgf": "im.fits", "intbgd_fix_line_ratio": true}"#,
    );
    w(
        "nokey.json",
        r#"{"bgfiles": ["s.pha"], "regfiles": ["c.reg"]}"#,
    );
    w(
        "missing.json",
        r#"{"bgfiles": ["gone.pha"], "regfiles": ["c.reg"], "refimgf": "im.fits",
            "bgdapfiles": {"A": "im.fits"}, "bgddetfiles": {"A": ["im.fits", "im.fits", "im.fits", "im.fits"]}}"#,
    );
    w(
        "uneven.json",
        r#"{"bgfiles": ["s.pha", "s.pha"], "regfiles": ["c.reg"], "refimgf": "im.fits"}"#,
    );
    w(
        "short.xcm",
        "statistic cstat\nmodel powerlaw\n1.7 0.01 -3 -2 9 10\n",
    );
    w("unknown.xcm", "model blorp\n1 0.01 0 0 10 10\n");
    w(
        "garbage.xcm",
        "model powerlaw\n1.7 0.01 -3 -2 9 10\n1 x y\n",
    );
    w(
        "nodata.xcm",
        "statistic cstat\nmodel powerlaw\n1.7 0.01 -3 -2 9 10\n1 0.01 0 0 1e20 1e24\n",
    );
    w("edges.txt", "3\n4\n5\n");
    w("badedges.txt", "3\nfour\n5\n");
}

/// One bad input: the arguments (`@` stands for the fixture folder) and the text the one
/// error line must contain (the file or argument at fault).
struct Case {
    args: &'static [&'static str],
    names: &'static str,
}

const fn c(args: &'static [&'static str], names: &'static str) -> Case {
    Case { args, names }
}

const CASES: &[Case] = &[
    // mkimgs
    c(&["mkimgs", "@/ev.evt"], "OUTNAME"),
    c(&["mkimgs", "@/none.evt", "@/o", "3", "20"], "none.evt"),
    c(&["mkimgs", "@/text.fits", "@/o", "3", "20"], "text.fits"),
    c(&["mkimgs", "@/empty.fits", "@/o", "3", "20"], "empty.fits"),
    c(&["mkimgs", "@/card.fits", "@/o", "3", "20"], "card.fits"),
    c(&["mkimgs", "@/trunc.evt", "@/o", "3", "20"], "trunc.evt"),
    c(&["mkimgs", "@/im.fits", "@/o", "3", "20"], "im.fits"),
    c(&["mkimgs", "@/ev.evt", "@/o", "20", "3"], "20-3 keV"),
    c(
        &["mkimgs", "@/ev.evt", "@/o", "3", "1e30"],
        "3-1000000000000000000000000000000 keV",
    ),
    c(
        &["mkimgs", "@/ev.evt", "@/o", "-50", "1e6"],
        "-50-1000000 keV",
    ),
    c(&["mkimgs", "@/ev.evt", "@/o", "three", "20"], "three"),
    c(&["mkimgs", "@/ev.evt", "@/nodir/o", "3", "20"], "nodir"),
    c(
        &["mkimgs", "@/ev.evt", "@/o", "3", "20", "bogus=1"],
        "bogus",
    ),
    c(
        &["mkimgs", "@/ev.evt", "@/o", "3", "20", "clobber=maybe"],
        "clobber",
    ),
    // mkinstrmap
    c(&["mkinstrmap", "@/none.evt"], "none.evt"),
    c(&["mkinstrmap", "@/text.fits"], "text.fits"),
    c(
        &["mkinstrmap", "@/ev.evt", "usrbpix=@/none.bpix"],
        "caldb.indx",
    ),
    // aspecthist
    c(&["aspecthist", "@/det1.fits", "out=@/ah.fits"], "gtifile"),
    c(
        &[
            "aspecthist",
            "@/det1.fits",
            "gtifile=@/gtirev.fits",
            "out=@/ah.fits",
        ],
        "gtirev.fits",
    ),
    c(
        &[
            "aspecthist",
            "@/none.fits",
            "gtifile=@/gti.fits",
            "out=@/ah.fits",
        ],
        "none.fits",
    ),
    c(
        &[
            "aspecthist",
            "@/det1.fits",
            "gtifile=@/text.fits",
            "out=@/ah.fits",
        ],
        "text.fits",
    ),
    c(
        &[
            "aspecthist",
            "@/det1.fits",
            "gtifile=@/gti.fits",
            "out=@/det1.fits",
            "clobber=yes",
        ],
        "det1.fits",
    ),
    c(
        &[
            "aspecthist",
            "@/det1.fits",
            "gtifile=@/gti.fits",
            "out=@/gti.fits",
            "clobber=yes",
        ],
        "gti.fits",
    ),
    c(
        &[
            "aspecthist",
            "@/card.fits",
            "gtifile=@/gti.fits",
            "out=@/ah.fits",
        ],
        "card.fits",
    ),
    // projbgd
    c(
        &[
            "projbgd",
            "refimg=@/sky.fits",
            "out=@/ap.fits",
            "mod=A",
            "det=1234",
            "chipmap=@/instr0.fits",
            "aspect=@/asp.fits",
        ],
        "instr0.fits",
    ),
    c(
        &[
            "projbgd",
            "refimg=@/sky.fits",
            "out=@/ap.fits",
            "mod=A",
            "det=1234",
            "chipmap=@/instr7.fits",
            "aspect=@/asp.fits",
        ],
        "instr7.fits",
    ),
    c(
        &[
            "projbgd",
            "refimg=@/im.fits",
            "out=@/ap.fits",
            "mod=C",
            "det=1234",
            "chipmap=@/instr7.fits",
            "aspect=@/asp.fits",
        ],
        "mod",
    ),
    c(
        &[
            "projbgd",
            "refimg=@/im.fits",
            "out=@/ap.fits",
            "mod=A",
            "det=1239",
            "chipmap=@/instr7.fits",
            "aspect=@/asp.fits",
        ],
        "det",
    ),
    c(
        &[
            "projbgd",
            "refimg=@/text.fits",
            "out=@/ap.fits",
            "mod=A",
            "det=1234",
            "chipmap=@/instr7.fits",
            "aspect=@/asp.fits",
        ],
        "text.fits",
    ),
    c(
        &[
            "projbgd",
            "refimg=@/im.fits",
            "out=@/im.fits",
            "mod=A",
            "det=1234",
            "chipmap=@/instr7.fits",
            "aspect=@/asp.fits",
            "clobber=yes",
        ],
        "im.fits",
    ),
    // regmask
    c(
        &["regmask", "@/im.fits", "@/excl.reg", "out=@/m.fits"],
        "excl.reg",
    ),
    c(
        &["regmask", "@/im.fits", "@/syntax.reg", "out=@/m.fits"],
        "syntax.reg:2",
    ),
    c(
        &["regmask", "@/im.fits", "@/shape.reg", "out=@/m.fits"],
        "shape.reg:2",
    ),
    c(
        &["regmask", "@/im.fits", "@/empty.reg", "out=@/m.fits"],
        "empty.reg",
    ),
    c(
        &["regmask", "@/im.fits", "@/none.reg", "out=@/m.fits"],
        "none.reg",
    ),
    c(
        &["regmask", "@/text.fits", "@/c.reg", "out=@/m.fits"],
        "text.fits",
    ),
    c(
        &["regmask", "@/card.fits", "@/c.reg", "out=@/m.fits"],
        "card.fits",
    ),
    c(&["regmask", "@/im.fits"], "REG"),
    c(
        &[
            "regmask",
            "@/im.fits",
            "@/c.reg",
            "out=@/im.fits",
            "clobber=yes",
        ],
        "is the input",
    ),
    c(
        &[
            "xcm-show",
            "@/nodata.xcm",
            "out=@/nodata.xcm",
            "clobber=yes",
        ],
        "is the input",
    ),
    c(
        &[
            "simplify",
            "@/typo.json",
            "@/nodata.xcm",
            "savefile=@/nodata.xcm",
            "clobber=yes",
        ],
        "is the input",
    ),
    // phafix
    c(&["phafix", "@/none.pha"], "none.pha"),
    c(&["phafix", "@/text.fits"], "text.fits"),
    c(&["phafix", "@/im.fits"], "im.fits"),
    // getspec
    c(&["getspec", "@/ev.evt"], "reg"),
    c(
        &["getspec", "@/ev.evt", "reg=@/none.reg", "outdir=@"],
        "none.reg",
    ),
    c(
        &["getspec", "@/ev.evt", "reg=@/excl.reg", "outdir=@"],
        "excl.reg",
    ),
    c(
        &["getspec", "@/none.evt", "reg=@/c.reg", "outdir=@"],
        "none.evt",
    ),
    c(
        &[
            "getspec",
            "@/ev.evt",
            "reg=@/c.reg",
            "outdir=@",
            "group=zero",
        ],
        "group",
    ),
    c(
        &[
            "getspec",
            "@/ev.evt",
            "reg=@/g.reg",
            "outdir=@",
            "rmffile=@/none.rmf",
        ],
        "none.rmf",
    ),
    // absrmf
    c(&["absrmf", "@/none.evt", "@/x"], "none.evt"),
    c(
        &["absrmf", "@/ev.evt", "@/x", "rmffile=@/none.rmf"],
        "none.rmf",
    ),
    // refspec
    c(&["refspec", "dir=@/nodir"], "nodir"),
    c(&["refspec", "dir=@", "mods=C"], "mods"),
    // fit
    c(&["fit", "@/none.json"], "none.json"),
    c(&["fit", "@/notjson.json"], "notjson.json"),
    c(&["fit", "@/typo.json"], "intbgd_fix_line_ratio"),
    c(&["fit", "@/nokey.json"], "refimgf"),
    c(&["fit", "@/missing.json"], "gone.pha"),
    c(&["fit", "@/uneven.json"], "uneven.json"),
    c(&["fit", "@/typo.json", "statistic=lsq"], "statistic"),
    // spec, bgdspec, simplify, image
    c(
        &["spec", "@/typo.json", "@/nodata.xcm", "@/c.reg", "@/s.pha"],
        "typo.json",
    ),
    c(
        &["spec", "@/none.json", "@/nodata.xcm", "@/c.reg", "@/s.pha"],
        "none.json",
    ),
    c(
        &[
            "bgdspec",
            "@/notjson.json",
            "@/nodata.xcm",
            "@/c.reg",
            "@/s.pha",
        ],
        "notjson.json",
    ),
    c(
        &[
            "bgdspec",
            "@/none.json",
            "@/nodata.xcm",
            "@/c.reg",
            "@/s.pha",
            "expfactor=-1",
        ],
        "expfactor",
    ),
    c(&["simplify", "@/none.json", "@/nodata.xcm"], "none.json"),
    c(
        &["image", "@/typo.json", "@/nodata.xcm", "3", "20"],
        "typo.json",
    ),
    c(
        &["image", "@/typo.json", "@/nodata.xcm", "20", "3"],
        "20-3 keV",
    ),
    // xcm, plot, model-eval
    c(&["xcm-show", "@/none.xcm"], "none.xcm"),
    c(&["xcm-show", "@/short.xcm"], "short.xcm:2"),
    c(&["xcm-show", "@/garbage.xcm"], "garbage.xcm"),
    c(&["xcm-fit", "@/nodata.xcm"], "nodata.xcm"),
    c(&["xcm-fit", "@/unknown.xcm"], "unknown.xcm"),
    c(&["plot", "@/nodata.xcm", "out=@/p"], "nodata.xcm"),
    c(&["plot", "@/none.xcm", "out=@/p"], "none.xcm"),
    c(&["model-eval", "blorp", "1", "grid=@/edges.txt"], "blorp"),
    c(
        &["model-eval", "powerlaw", "1,2", "grid=@/badedges.txt"],
        "badedges.txt:2",
    ),
    c(
        &["model-eval", "powerlaw", "1,2", "grid=@/none.txt"],
        "none.txt",
    ),
    c(&["model-eval", "powerlaw", "1,x", "grid=@/edges.txt"], "x"),
    c(
        &["model-eval", "((powerlaw", "1,2", "grid=@/edges.txt"],
        "model expression",
    ),
    // simulate, run, init, unknown task
    c(&["simulate", "@/sim", "exposure=-5"], "exposure"),
    c(&["simulate", "@/sim", "seed=abc"], "seed"),
    c(&["run", "@/none.toml"], "none.toml"),
    c(&["init", "@/nodir"], "nodir"),
    c(&["frobnicate"], "frobnicate"),
];

#[test]
fn bad_input_catalogue_every_task() {
    assert!(CASES.len() >= 60, "{} cases", CASES.len());
    let Some(auxil) = support::shared("bad_input_catalogue", "auxil") else {
        return;
    };
    let dir = support::scratch("catalogue");
    write_fixtures(&dir);
    let d = dir.to_str().unwrap();
    let mut failures = Vec::new();
    for (i, case) in CASES.iter().enumerate() {
        let args: Vec<String> = case.args.iter().map(|a| a.replace('@', d)).collect();
        let before = snapshot(&dir);
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_nuskybgd"));
        cmd.args(&args)
            .current_dir(&dir)
            .env("NUSKYBGD_AUXIL", &auxil)
            .env("CALDB", dir.join("nocaldb"));
        let (code, _, stderr) = support::outcome(&mut cmd);
        let after = snapshot(&dir);
        let line = stderr.trim_end();
        let ok = code != 0
            && code != 101
            && line.lines().count() == 1
            && line.contains(case.names)
            && before == after;
        if !ok {
            let changed: Vec<&String> = after
                .keys()
                .filter(|k| before.get(*k) != after.get(*k))
                .chain(before.keys().filter(|k| !after.contains_key(*k)))
                .collect();
            failures.push(format!(
                "case {i} {:?}: exit {code}, wants '{}', changed {changed:?}, stderr: {line}",
                case.args, case.names
            ));
            // put the folder back for the next case
            for k in after.keys().filter(|k| !before.contains_key(*k)) {
                let _ = std::fs::remove_file(dir.join(k));
            }
            for (k, v) in &before {
                if after.get(k) != Some(v) {
                    std::fs::write(dir.join(k), v).unwrap();
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn gti_row_with_start_after_stop_is_blamed_on_the_gti_file() {
    let dir = support::scratch("refuse_gti");
    let (det1, gti) = (dir.join("det1.fits"), dir.join("gti.fits"));
    write_det1(&det1);
    write_gti(&gti, &[(0.0, 10.0), (30.0, 20.0)]);
    let e = nuskybgd::nustar::gti::Gti::read(&gti).unwrap_err();
    assert_variant!(e, Error::Nustar(NustarError::BadGtiRow { row: 2, .. }));
    let line = format!(
        "{}: GTI extension GTI row 2: START 30 is after STOP 20",
        gti.display()
    );
    assert_eq!(e.to_string(), line);
    let out = dir.join("ah.fits");
    let (code, _, err) = support::nuskybgd(&[
        "aspecthist",
        det1.to_str().unwrap(),
        &format!("gtifile={}", gti.display()),
        &format!("out={}", out.display()),
    ]);
    assert_eq!(code, 1);
    assert!(err.trim_end().ends_with(&line), "{err}");
    assert!(!out.exists());
}

#[test]
fn instrument_map_without_active_pixel_or_with_bad_labels_is_refused() {
    use nuskybgd::nustar::instrmap::read_chipmap;
    let dir = support::scratch("refuse_instrmap");
    let (zero, seven) = (dir.join("zero.fits"), dir.join("seven.fits"));
    write_instrmap(&zero, 0.0);
    write_instrmap(&seven, 7.0);
    let e = read_chipmap(&zero).unwrap_err();
    assert_variant!(e, Error::Nustar(NustarError::NoActivePixel { .. }));
    assert_eq!(
        e.to_string(),
        format!(
            "{}: instrument map has no active pixel (all labels 0)",
            zero.display()
        )
    );
    let e = read_chipmap(&seven).unwrap_err();
    assert_variant!(
        e,
        Error::Nustar(NustarError::BadMapLabel { x: 1, y: 1, .. })
    );
    assert_eq!(
        e.to_string(),
        format!(
            "{}: instrument map pixel (1, 1) is 7; labels are 0 (inactive) and 1-4 (DET0-DET3)",
            seven.display()
        )
    );
    write_instrmap(&dir.join("ok.fits"), 2.0);
    assert!(read_chipmap(&dir.join("ok.fits")).is_ok());
}

#[test]
fn cropped_aspect_histogram_without_offsets_is_refused() {
    use nuskybgd::sky::aspecthist::read_aspect;
    let dir = support::scratch("refuse_aspect");
    let p = dir.join("a.fits");
    write_aspect(&p, false);
    let e = read_aspect(&p).unwrap_err();
    assert_variant!(e, Error::Sky(SkyError::NoOffset { .. }));
    assert_eq!(
        e.to_string(),
        format!(
            "{}: keyword X_OFF missing: a 3x2 aspect histogram must say where it lies on the 1000x1000 sky grid (X_OFF/Y_OFF, as aspecthist writes them)",
            p.display()
        )
    );
    let q = dir.join("b.fits");
    write_aspect(&q, true);
    let a = read_aspect(&q).unwrap();
    assert_eq!((a.x_off, a.y_off), (400, 400));
}

#[test]
fn mkimgs_band_outside_pi_channels_is_refused_not_clamped() {
    use nuskybgd::bgmodel::bands::pi_channels;
    for (lo, hi) in [(3.0, 1e30), (-50.0, 1e6), (1.0, 20.0), (3.0, 166.0)] {
        let e = pi_channels(lo, hi).unwrap_err();
        assert_variant!(e, Error::Model(ModelError::BandOutsidePi { .. }));
        assert_eq!(
            e.to_string(),
            format!("energy band {lo}-{hi} keV reaches outside NuSTAR's PI channels 0-4095 (1.6-165.44 keV); give a band inside it")
        );
    }
    assert_eq!(pi_channels(1.6, 165.44).unwrap(), (1, 4095));
}

#[test]
fn save_file_with_a_partial_data_group_is_refused() {
    let dir = support::scratch("refuse_xcm");
    let p = dir.join("short.xcm");
    std::fs::write(&p, "statistic cstat\nmodel powerlaw\n1.7 0.01 -3 -2 9 10\n").unwrap();
    let e = nuskybgd::spectral::run::load(&p, false).unwrap_err();
    assert_variant!(e, Error::Spectral(SpectralError::BadLine { line: 2, .. }));
    assert_eq!(
        e.to_string(),
        format!("{}:2: model has 1 parameter lines, expected 2 per data group (2 for 1 groups); end the list with '/*' to take defaults for the rest", p.display())
    );
    // '/*' takes the defaults for the rest, as XSPEC does
    std::fs::write(
        &p,
        "statistic cstat\nmodel powerlaw\n1.7 0.01 -3 -2 9 10\n/*\n",
    )
    .unwrap();
    assert!(nuskybgd::spectral::run::load(&p, false).is_ok());
}

#[test]
fn region_of_exclusions_only_is_refused() {
    let dir = support::scratch("refuse_excl");
    let im = dir.join("im.fits");
    write_sky_image(&im, 20);
    let reg = dir.join("x.reg");
    std::fs::write(&reg, "image\n-circle(10,10,3)\n-box(5,5,2,2,0)\n").unwrap();
    let wcs = nuskybgd::io::wcs::Wcs::read(&mut Fits::open(&im).unwrap()).unwrap();
    let e = nuskybgd::io::region::Region::read(&reg, &wcs)
        .err()
        .unwrap();
    assert_variant!(e, Error::Io(IoError::RegionOnlyExclusions { .. }));
    assert_eq!(
        e.to_string(),
        format!("{}: region file has only exclusions ('-' shapes), which select nothing; add the shape they cut from before them", reg.display())
    );
}

#[test]
fn an_output_never_replaces_an_input_even_with_clobber() {
    let dir = support::scratch("refuse_inout");
    let evt = dir.join("ev.fits");
    getspec_fixture::write_events(&evt, "FPMA", &getspec_fixture::events(), true);
    let before = std::fs::read(&evt).unwrap();
    let stem = dir.join("ev");
    let e = support::mkimgs(&evt, stem.to_str().unwrap(), 3.0, 20.0, true).unwrap_err();
    assert_variant!(e, Error::Io(IoError::OutputIsInput { .. }));
    assert_eq!(
        e.to_string(),
        format!(
            "{}: is the input {}; an output never replaces an input, even with clobber=yes",
            evt.display(),
            evt.display()
        )
    );
    assert_eq!(std::fs::read(&evt).unwrap(), before);
    // another spelling of the same file is the same file
    let other = format!("{}/./ev", dir.display());
    assert!(support::mkimgs(&evt, &other, 3.0, 20.0, true).is_err());
}

#[test]
fn open_and_region_failures_speak_the_users_terms() {
    let dir = support::scratch("refuse_terms");
    let p = dir.join("zero.fits");
    std::fs::write(&p, vec![0u8; 2880]).unwrap();
    let e = Fits::open(&p).err().unwrap();
    assert_variant!(e, Error::Io(IoError::NotFits { .. }));
    let msg = e.to_string();
    assert!(
        msg.contains("not a FITS file, or truncated: no readable primary header"),
        "{msg}"
    );
    assert!(!msg.contains("ffopen") && !msg.contains("(ff"), "{msg}");
    // a failure on the hidden temporary file names the output the user gave
    let out = std::path::PathBuf::from("/proc/nuskybgd_no_such_output.fits");
    let e = Output::new(out.to_str().unwrap(), false)
        .write_fits(|f| f.write_image(&Image::zeros(2, 2), 32))
        .unwrap_err();
    assert_eq!(e.path(), Some(out.as_path()), "{e}");
    assert!(!e.to_string().contains(".tmp"), "{e}");
}

#[test]
fn unknown_bgdinfo_keys_are_refused_by_name() {
    use nuskybgd::bgmodel::bgdinfo::BgdInfo;
    let p = Path::new("bgdinfo.json");
    let text = r#"{"bgfiles": ["a.pha"], "regfiles": ["a.reg"], "refimgf": "im.fits", "intbgd_fix_line_ratio": true}"#;
    let e = BgdInfo::parse(p, text).unwrap_err();
    assert_variant!(e, Error::Model(ModelError::BadBgdInfo { .. }));
    assert!(
        e.to_string()
            .starts_with("bgdinfo.json: unknown key 'intbgd_fix_line_ratio' (known: bgfiles,"),
        "{e}"
    );
    let text = r#"{"bgfiles": ["a.pha"], "regfiles": ["a.reg"], "refimgf": "im.fits", "fcxb_config": {"link": []}}"#;
    let e = BgdInfo::parse(p, text).unwrap_err();
    assert_eq!(
        e.to_string(),
        "bgdinfo.json: unknown key 'link' in fcxb_config (known: links)"
    );
}

#[test]
fn image_in_a_band_without_response_is_refused() {
    use nuskybgd::tasks::image::{image_task, ImageRequest};
    let Some(c) = support::bgdspec_case::case("refuse_image_band") else {
        return;
    };
    let prefix = format!("{}/img_", c.dir.display());
    let e = image_task(&ImageRequest {
        bgdinfo: c.info.clone(),
        xcm: c.model.clone(),
        emin: 500.0,
        emax: 1000.0,
        prefix: prefix.clone(),
        clobber: false,
        auxil: c.auxil.clone(),
    })
    .unwrap_err();
    assert_variant!(
        e,
        Error::Task(nuskybgd::error::TaskError::BandWithoutResponse { .. })
    );
    assert_eq!(
        e.to_string(),
        format!("{}: band 500-1000 keV holds no channel of any spectrum's response; every image would be all zeros", c.model.display())
    );
    let left = std::fs::read_dir(&c.dir).unwrap();
    assert!(left.into_iter().all(|f| !f
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with("img_")));
}

#[test]
fn bgdinfo_paths_are_taken_from_its_folder_and_written_relative_to_it() {
    use nuskybgd::bgmodel::bgdinfo::BgdInfo;
    let dir = support::scratch("bgdinfo_base");
    for f in [
        "a.pha", "a.reg", "im.fits", "ap.fits", "d0.fits", "d1.fits", "d2.fits", "d3.fits",
    ] {
        std::fs::write(dir.join(f), "").unwrap();
    }
    let json = dir.join("bgdinfo.json");
    std::fs::write(
        &json,
        r#"{"bgfiles": ["a.pha"], "regfiles": ["a.reg"], "refimgf": "im.fits",
            "bgdapfiles": {"A": "ap.fits"}, "bgddetfiles": {"A": ["d0.fits", "d1.fits", "d2.fits", "d3.fits"]}}"#,
    )
    .unwrap();
    // the test runs elsewhere: the names are found beside the JSON file
    let info = BgdInfo::read(&json).unwrap();
    assert_eq!(info.bgfiles, vec![dir.join("a.pha")]);
    assert_eq!(info.a.as_ref().unwrap().det[3], dir.join("d3.fits"));
    // written back beside them: relative names again, and read back the same
    let again = dir.join("again.json");
    info.write(&Output::new(again.to_str().unwrap(), false))
        .unwrap();
    let text = std::fs::read_to_string(&again).unwrap();
    assert!(
        text.contains("\"a.pha\"") && !text.contains(&dir.display().to_string()),
        "{text}"
    );
    assert_eq!(BgdInfo::read(&again).unwrap(), info);
}
