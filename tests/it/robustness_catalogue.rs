//! The bad-input catalogue: every task given what a careless user or a malformed file gives
//! it. Each case must exit non-zero with one line on stderr naming the file or argument at
//! fault, leave nothing behind and change no existing file.

use crate::support::bad_inputs::*;
use crate::support::{self, getspec_fixture};
use std::path::Path;

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
