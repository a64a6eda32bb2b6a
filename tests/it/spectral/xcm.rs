//! XSPEC's link rules (a bare pN is the unnamed model's parameter N wherever it is written,
//! `name:pN` that source's), the spaced exponent older XSPEC wrote, and a real save file
//! written by the IDL nuskybgd (NuSTAR's `nuabs`, 8 data groups): it loads, `xcm-show`
//! describes it, and writing it back changes only what XSPEC's own writer would change.
//! Every real save file parses; writing it back and reading again gives the same
//! structure; XSPEC-written files come back byte for byte.

use crate::support::{self, assert_variant};
use nuskybgd::error::SpectralError;
use nuskybgd::spectral::params::Addr;
use nuskybgd::spectral::run::load;
use nuskybgd::spectral::session::Session;
use nuskybgd::spectral::xcm::file::XcmFile;
use nuskybgd::spectral::xcm::link::ParRef;
use nuskybgd::Error;
use std::path::{Path, PathBuf};

const IDL: &str = "data/real/nuskybgd_idl_20013036002/bgd_20013036002.xcm";

/// `text` as t.xcm in a scratch folder for `test`: (the folder, kept for the test, the file).
fn write(test: &str, text: &str) -> (support::Scratch, PathBuf) {
    let dir = support::scratch(test);
    let p = dir.join("t.xcm");
    std::fs::write(&p, text).unwrap();
    (dir, p)
}

fn r(model: Option<&str>, index: usize) -> ParRef {
    ParRef {
        model: model.map(str::to_string),
        index,
    }
}

const TWO_SOURCES: &str = "\
model  powerlaw
            1.7       0.01         -3         -2          9         10
            0.5       0.01          0          0      1e+20      1e+24
model  2:bg cutoffpl
= p1
             20       0.01       0.01          1        500        500
= p2*4 + bg:p2
";

#[test]
fn a_bare_pn_in_a_named_source_is_source_one() {
    let (_dir, p) = write("links_rule", TWO_SOURCES);
    let s = load(&p, false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.addr(&r(None, 1)), Some(Addr::new(0, 0)));
    assert_eq!(s.addr(&r(Some("bg"), 2)), Some(Addr::new(1, 1)));
    assert_eq!(s.addr(&r(None, 3)), None, "source 1 has two parameters");
    // bg's p1 is source 1's PhoIndex (not itself: that would be a cycle)
    assert_eq!(s.params[1][0].value, 1.7);
    // a bare p3 is not bg's own third parameter: source 1 has none, so the load refuses
    let (_dir, p) = write("links_rule_p3", &TWO_SOURCES.replace("= p2*4", "= p3*4"));
    let refusal = load(&p, false).map(|_| ()).unwrap_err();
    let e = refusal.to_string();
    assert_variant!(
        refusal,
        Error::Spectral(SpectralError::BadLine { line: 7, .. })
    );
    assert!(
        e.contains("t.xcm:7:") && e.contains("p3 does not exist (source 1 has 2 parameters)"),
        "{e}"
    );
}

#[test]
fn resolving_follows_the_same_rule() {
    let (_dir, p) = write("links_resolve", TWO_SOURCES);
    let mut s = load(&p, false).unwrap_or_else(|e| panic!("{e}"));
    // p2 is source 1's norm (0.5), bg:p2 is bg's HighECut (20)
    assert_eq!(s.params[1][2].value, 0.5 * 4.0 + 20.0);
    s.params[0][0].value = 2.25;
    s.params[0][1].value = 3.0;
    s.resolve().unwrap();
    assert_eq!(s.params[1][0].value, 2.25);
    assert_eq!(s.params[1][2].value, 3.0 * 4.0 + 20.0);
    // written back as typed: bare names stay bare, as XSPEC writes the tokens it read
    let out = s.to_xcm().to_text();
    assert!(out.contains("\n= p1\n"), "{out}");
    assert!(out.contains("\n= p2*4 + bg:p2\n"), "{out}");
}

#[test]
fn a_bare_pn_without_an_unnamed_model_is_an_error_at_its_line() {
    let text = "\
model  1:src powerlaw
            1.7       0.01         -3         -2          9         10
            0.5       0.01          0          0      1e+20      1e+24
model  2:bg powerlaw
= p1
            0.1       0.01          0          0      1e+20      1e+24
";
    let (_dir, p) = write("links_no_src1", text);
    let e = match load(&p, false) {
        Ok(_) => panic!("a bare p1 with no unnamed model loaded"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("t.xcm:5:"), "{e}");
    assert!(e.contains("unnamed model"), "{e}");
    // naming the source is what XSPEC wants
    let (_dir, p) = write("links_no_src1_named", &text.replace("= p1", "= src:p1"));
    let s = load(&p, false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.params[1][0].value, 1.7);
}

#[test]
fn a_spaced_exponent_is_one_number() {
    let text = TWO_SOURCES.replace("= p2*4 + bg:p2", "= p2*1.5e + 2");
    let (_dir, p) = write("links_exponent", &text);
    let s = load(&p, false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.params[1][2].value, 0.5 * 1.5e2);
    let out = s.to_xcm().to_text();
    assert!(out.contains("\n= p2*1.5e2\n"), "{out}");
}

/// The IDL file's text, or None (SKIPPED) without the shared data.
fn idl(test: &str) -> Option<(PathBuf, String)> {
    let p = support::shared(test, IDL)?;
    let text = std::fs::read_to_string(&p).unwrap();
    Some((p, text))
}

/// Parameter lines after each `model` line, counted from the text: (name, lines).
fn model_blocks(text: &str) -> Vec<(String, Vec<&str>)> {
    let mut out: Vec<(String, Vec<&str>)> = Vec::new();
    let mut open = false;
    for l in text.lines() {
        if let Some(rest) = l.strip_prefix("model") {
            let name = rest.split_whitespace().next().unwrap();
            out.push((name.split(':').nth(1).unwrap().to_string(), Vec::new()));
            open = true;
        } else if open && (l.starts_with('=') || l.starts_with(' ')) && !l.trim().is_empty() {
            out.last_mut().unwrap().1.push(l);
        } else {
            open = false;
        }
    }
    out
}

#[test]
fn the_idl_file_loads_with_its_sources_parameters_and_links() {
    let Some((p, text)) = idl("xcm_links_idl_load") else {
        return;
    };
    let s = load(&p, false).unwrap_or_else(|e| panic!("{e}"));
    let blocks = model_blocks(&text);
    let names: Vec<&str> = s
        .sources
        .iter()
        .map(|x| x.name.as_deref().unwrap())
        .collect();
    let want: Vec<&str> = blocks.iter().map(|b| b.0.as_str()).collect();
    assert_eq!(names, want);
    assert_eq!(names, ["apbgd", "intbgd", "fcxb", "intn"]);
    let lens: Vec<usize> = s.params.iter().map(Vec::len).collect();
    let want: Vec<usize> = blocks.iter().map(|b| b.1.len()).collect();
    assert_eq!(lens, want);
    // 8 data groups, each with its own copy of every parameter
    let groups = text.lines().filter(|l| l.starts_with("data ")).count();
    assert_eq!((groups, s.ngroups), (8, 8));
    let per_group: Vec<usize> = lens.iter().map(|n| n / groups).collect();
    assert!(lens.iter().all(|n| n % groups == 0), "{lens:?}");
    // nuabs has 4 parameters: intbgd is nuabs + 29 lorentz (3 each) + apec (4), apbgd and
    // fcxb nuabs + powerlaw (2) + highecut (2, cutoffE and foldE), intn bknpower (4)
    assert_eq!(per_group, [4 + 2 + 2, 4 + 29 * 3 + 4, 4 + 2 + 2, 4]);
    let links: usize = s
        .params
        .iter()
        .flatten()
        .filter(|q| q.link.is_some())
        .count();
    let eq_lines = text.lines().filter(|l| l.starts_with('=')).count();
    assert_eq!(links, eq_lines);
    assert_eq!(links, 284);
    // links resolve across sources and with the exponent read as e+12
    let (ap, ib, fc) = (&s.params[0], &s.params[1], &s.params[2]);
    assert_eq!(fc[0].value, ap[0].value, "= apbgd:1 in fcxb");
    assert_eq!(ap[13].value, ap[5].value * 2.39092, "= apbgd:6*2.39092");
    let l283 = text.lines().nth(282).unwrap();
    assert_eq!(l283, "= intbgd:34*1.49632e + 12");
    // line 283 is intbgd's parameter 283 − 155 + 1 (its lines start at line 155)
    let at = text
        .lines()
        .position(|l| l.starts_with("model  3:"))
        .unwrap()
        + 2;
    assert_eq!(ib[283 - at].value, ib[33].value * 1.49632e12);
    assert!(s.params.iter().flatten().all(|q| !q.value.is_nan()));
}

#[test]
fn xcm_show_describes_the_idl_file() {
    let Some((p, text)) = idl("xcm_links_idl_show") else {
        return;
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nuskybgd"))
        .arg("xcm-show")
        .arg(&p)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("statistic: cstat\n"), "{stdout}");
    assert!(stdout.contains("data groups: 8\n"), "{stdout}");
    for b in model_blocks(&text) {
        let model = text
            .lines()
            .find(|l| l.contains(&format!(":{} ", b.0)))
            .unwrap();
        let (head, expr) = model["model".len()..].trim().split_once(' ').unwrap();
        assert!(
            stdout.contains(&format!("source {head}: {expr}\n")),
            "{head}: {stdout}"
        );
    }
    let rows = |status: &str| {
        stdout
            .lines()
            .filter(|l| l.split_whitespace().nth(4) == Some(status))
            .count()
    };
    let eq_lines = text.lines().filter(|l| l.starts_with('=')).count();
    assert_eq!(rows("linked"), eq_lines);
    let params: usize = model_blocks(&text).iter().map(|b| b.1.len()).sum();
    assert_eq!(rows("linked") + rows("free") + rows("frozen"), params);
    // free: the parameter lines with a positive fit step
    let free = text
        .lines()
        .filter(|l| l.starts_with(' '))
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|d| d.parse::<f64>().unwrap() > 0.0)
        })
        .count();
    assert_eq!(rows("free"), free);
    assert!(stdout.contains("= intbgd:p34*1.49632e12\n"), "{stdout}");
    assert!(
        stdout.contains("missing: "),
        "its spectra were not published"
    );
}

/// The original with XSPEC 6.20's writing of each link line: `name:N` becomes `name:pN`
/// (ParameterLink inserts the p) and `e + ` in an exponent is joined (`1.49632e12`).
fn as_xspec_writes(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for l in text.split_inclusive('\n') {
        if !l.starts_with("= ") {
            out.push(l.to_string());
            continue;
        }
        let (name, rest) = l[2..].split_once(':').unwrap();
        out.push(format!("= {name}:p{}", rest.replace("e + ", "e")));
    }
    out.concat()
}

fn rewrite(p: &Path, test: &str) -> String {
    let dir = support::scratch(test);
    let out = dir.join("out.xcm");
    let st = std::process::Command::new(env!("CARGO_BIN_EXE_nuskybgd"))
        .arg("xcm-show")
        .arg(p)
        .arg(format!("out={}", out.display()))
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    std::fs::read_to_string(&out).unwrap()
}

#[test]
fn the_idl_file_round_trips_as_xspec_would_write_it() {
    let Some((p, text)) = idl("xcm_links_idl_round_trip") else {
        return;
    };
    let out = rewrite(&p, "idl_round_trip");
    let want = as_xspec_writes(&text);
    assert_eq!(out, want, "rewritten file differs from XSPEC's writing");
    // exactly the 284 link lines differ, and nothing else
    let differ = text
        .lines()
        .zip(out.lines())
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(differ, text.lines().filter(|l| l.starts_with('=')).count());
    assert_eq!(text.lines().count(), out.lines().count());
    // and the rewritten file comes back byte for byte
    let again = support::scratch("idl_round_trip_again");
    let again_in = again.join("in.xcm");
    std::fs::write(&again_in, &out).unwrap();
    assert_eq!(rewrite(&again_in, "idl_round_trip_again2"), out);
    // the session writes the same file when nothing changed
    let s = load(&p, false).unwrap();
    assert_eq!(s.to_xcm().to_text(), want);
}

#[test]
fn a_value_set_in_the_idl_file_is_written_back_with_the_links() {
    let Some((p, text)) = idl("xcm_links_idl_edit") else {
        return;
    };
    let mut s: Session = load(&p, false).unwrap();
    // apbgd's free norm (an unknown-component source) and intn's (a known one)
    s.params[0][5].value = 0.0025;
    s.params[3][3].value = 0.000333;
    s.resolve().unwrap();
    assert_eq!(s.params[0][13].value, 0.0025 * 2.39092);
    assert_eq!(s.params[3][7].value, 0.000333 * 0.966199);
    let out = s.to_xcm().to_text();
    let want = as_xspec_writes(&text);
    let changed: Vec<(&str, &str)> = want
        .lines()
        .zip(out.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(
        changed,
        [
            (
                "     0.00138253     0.0001          0          0      1e+20      1e+24",
                "         0.0025     0.0001          0          0      1e+20      1e+24"
            ),
            (
                "    0.000192101 5.97853e-05          0          0      1e+20      1e+24",
                "       0.000333 5.97853e-05          0          0      1e+20      1e+24"
            ),
        ]
    );
    // and it loads again with the new values through the links
    let (_dir, q) = write("idl_edit_reload", &out);
    let s2 = load(&q, false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s2.params[0][13].value, 0.0025 * 2.39092);
    assert_eq!(s2.params[2][5].value, s.params[2][5].value);
}

#[test]
fn a_named_source_s_later_groups_default_to_its_own_first_group() {
    let text = "\
data 1:1 a.pha 2:2 b.pha
model  powerlaw
            1.7       0.01         -3         -2          9         10
            0.5       0.01          0          0      1e+20      1e+24
model  2:bg powerlaw
            2.2       0.01         -3         -2          9         10
            0.1       0.01          0          0      1e+20      1e+24
";
    let (_dir, p) = write("links_groups", text);
    let s = load(&p, false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.ngroups, 2);
    let bg: Vec<f64> = s.params[1].iter().map(|q| q.value).collect();
    assert_eq!(bg, [2.2, 0.1, 2.2, 0.1]);
    let out = s.to_xcm().to_text();
    assert!(out.ends_with("\n= bg:p1\n= bg:p2\n"), "{out}");
}

#[test]
fn reference_save_files_round_trip() {
    let Some(dir) = support::shared("xcm_round_trip", "reference/xcm") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xcm"))
        .collect();
    if let Some(fits) = support::root().map(|r| r.join("reference/fits")) {
        files.extend(
            std::fs::read_dir(fits)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "xcm")),
        );
    }
    files.sort();
    let mut exact = 0;
    for p in &files {
        let text = std::fs::read_to_string(p).unwrap();
        let f = XcmFile::read(p).unwrap_or_else(|e| panic!("{e}"));
        let out = f.to_text();
        let again = XcmFile::parse(p, &out).unwrap();
        assert_eq!(
            again.items,
            f.items,
            "{}: structure changes on rewrite",
            p.display()
        );
        assert_eq!(
            again.to_text(),
            out,
            "{}: writer not idempotent",
            p.display()
        );
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if out == text {
            exact += 1;
            eprintln!("xcm {name}: byte-identical");
        } else {
            let first = text.lines().zip(out.lines()).position(|(a, b)| a != b);
            eprintln!(
                "xcm {name}: rewritten differs first at line {:?}: {:?} -> {:?}",
                first.map(|l| l + 1),
                first.map(|l| text.lines().nth(l)),
                first.map(|l| out.lines().nth(l))
            );
        }
        // files XSPEC wrote in its current layout must come back unchanged
        let xspec_written = [
            "01_", "02_", "04_", "05_", "07_", "12_", "13_", "17_", "19_", "21_", "case",
        ];
        if xspec_written.iter().any(|s| name.starts_with(s)) {
            assert_eq!(
                out, text,
                "{name} is XSPEC output and must round-trip byte for byte"
            );
        }
    }
    assert!(
        files.len() >= 20 && exact >= 10,
        "{exact} of {}",
        files.len()
    );
}
