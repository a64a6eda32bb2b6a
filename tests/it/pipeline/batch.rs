//! `batch` on three simulated observations, one made to fail (its events removed): two
//! finished, one failed with its one-line error in the table and the CSV, exit code 3; a
//! second batch finds the finished ones up to date and leaves a user's own configuration
//! alone; a bad list is one clear line.

use crate::support::{self, assert_variant, outcome};
use nuskybgd::error::PipelineError;
use nuskybgd::pipeline::batch::{read_list, CSV_HEADER, MARKER};
use nuskybgd::sim::{simulate, SimRequest, SimSummary};
use nuskybgd::Error;
use std::path::Path;
use std::process::Command;

const OBSIDS: [&str; 3] = ["60001001002", "60001002002", "60001003002"];

fn simulated(dir: &Path, k: usize) -> SimSummary {
    let mut r = SimRequest::new(dir.join(format!("sim{k}")));
    r.archive_layout = true;
    r.seed = 1 + k as u64;
    r.obsid = OBSIDS[k].to_string();
    simulate(&r).unwrap()
}

fn batch_cmd(sim: &SimSummary, dir: &Path, extra: &[&str]) -> (i32, String, String) {
    outcome(
        Command::new(env!("CARGO_BIN_EXE_nuskybgd"))
            .current_dir(dir)
            .env("NUSKYBGD_AUXIL", &sim.auxil)
            .env("CALDB", &sim.caldb)
            .args(["batch", "list.txt", "config=template.toml"])
            .args(extra),
    )
}

fn rows<'a>(text: &'a str, word: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(word)).collect()
}

#[test]
fn batch_runs_every_observation_reports_the_failed_one_and_a_rerun_skips_the_rest() {
    let dir = support::scratch("batch_three");
    let sims: Vec<SimSummary> = (0..3).map(|k| simulated(&dir, k)).collect();
    for f in std::fs::read_dir(&sims[2].obsdir).unwrap().flatten() {
        if f.file_name().to_string_lossy().ends_with("_cl.evt") {
            std::fs::remove_file(f.path()).unwrap();
        }
    }
    let list: Vec<String> = (0..3).map(|k| format!("sim{k}/{}", OBSIDS[k])).collect();
    std::fs::write(
        dir.join("list.txt"),
        format!("# three\n{}\n", list.join("\n")),
    )
    .unwrap();
    std::fs::write(dir.join("template.toml"), "[fit]\nstatistic = \"cstat\"\n").unwrap();
    let (code, out, err) = batch_cmd(&sims[0], &dir, &["jobs=2"]);
    assert_eq!(code, 3, "some failed: exit 3\n{out}\n{err}");
    assert_eq!(rows(&out, " ok ").len(), 2, "{out}");
    let failed = rows(&out, "failed");
    assert_eq!(failed.len(), 1, "{out}");
    assert!(failed[0].starts_with(&list[2]) && failed[0].contains("no cleaned event files"));
    assert!(err.contains("1 of 3 observations failed"), "{err}");
    assert_eq!(rows(&err, "batch: [").len(), 3, "one line per job: {err}");
    for s in &sims[..2] {
        let w = s.obsdir.join("bgd");
        for f in ["report.html", "bgdparams_fit.xcm", "bgd_srcA.xcm"] {
            assert!(w.join(f).is_file(), "{f} not made in {}", w.display());
        }
        let state: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(w.join("run.json")).unwrap()).unwrap();
        assert_eq!(state["steps"]["fit"]["status"], "ran");
        assert_eq!(state["steps"]["fit"]["facts"]["statistic_name"], "cstat");
        let config = std::fs::read_to_string(w.join("nuskybgd.toml")).unwrap();
        assert!(config.starts_with(MARKER), "{config}");
        assert!(config.contains("statistic = \"cstat\""), "{config}");
    }
    check_csv(&dir, &list);
    check_rerun(&dir, &sims);
}

fn check_csv(dir: &Path, list: &[String]) {
    let csv = std::fs::read_to_string(dir.join("list.summary.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], CSV_HEADER);
    assert_eq!(lines.len(), 4, "{csv}");
    for (k, l) in lines[1..].iter().enumerate() {
        assert!(l.starts_with(&format!("{},", list[k])), "list order: {csv}");
    }
    assert!(lines[1].contains(",ok,cstat,") && lines[1].contains("report.html"));
    assert!(lines[3].contains(",failed,") && lines[3].contains("no cleaned event files"));
    let fields: Vec<&str> = lines[1].split(',').collect();
    assert!(fields[4].parse::<f64>().unwrap() > 0.0, "{csv}");
    assert!(fields[5].parse::<u64>().unwrap() > 0, "{csv}");
}

/// A second batch: both finished observations up to date (nothing runs), one of them on a
/// configuration made the user's own (its first line removed), which batch leaves as is.
fn check_rerun(dir: &Path, sims: &[SimSummary]) {
    let own = sims[1].obsdir.join("bgd/nuskybgd.toml");
    let text = std::fs::read_to_string(&own).unwrap();
    let mine = text.split_once('\n').unwrap().1.to_string();
    std::fs::write(&own, &mine).unwrap();
    let (code, out, err) = batch_cmd(&sims[0], dir, &[]);
    assert_eq!(code, 3, "{out}\n{err}");
    assert_eq!(rows(&out, "up to date").len(), 2, "{out}");
    assert_eq!(rows(&out, "up to date (own config)").len(), 1, "{out}");
    assert_eq!(rows(&out, "failed").len(), 1, "{out}");
    assert_eq!(std::fs::read_to_string(&own).unwrap(), mine);
    let log = std::fs::read_to_string(sims[0].obsdir.join("bgd/run.log")).unwrap();
    assert!(log.contains("fit: up to date"), "{log}");
}

#[test]
fn a_bad_list_is_one_clear_line() {
    let dir = support::scratch("batch_list");
    let list = dir.join("list.txt");
    let e = read_list(&list).unwrap_err();
    assert_variant!(e, Error::Pipeline(PipelineError::BatchListRead { .. }));
    std::fs::write(&list, "# nothing\n\n   \n").unwrap();
    let e = read_list(&list).unwrap_err();
    assert_variant!(e, Error::Pipeline(PipelineError::BatchListEmpty { .. }));
    std::fs::create_dir(dir.join("obs1")).unwrap();
    std::fs::write(&list, "obs1\nobs2\n").unwrap();
    let e = read_list(&list).unwrap_err();
    assert_variant!(
        e,
        Error::Pipeline(PipelineError::BatchListFolder { line: 2, .. })
    );
    assert!(e.to_string().contains("obs2: no such folder"), "{e}");
    std::fs::write(&list, "obs1\n./obs1/\n").unwrap();
    let e = read_list(&list).unwrap_err();
    assert_variant!(
        e,
        Error::Pipeline(PipelineError::BatchListRepeated {
            line: 2,
            first: 1,
            ..
        })
    );
    std::fs::write(&list, "obs1\nobs2\n").unwrap();
    std::fs::write(dir.join("t.toml"), "").unwrap();
    let (code, out, err) = outcome(
        Command::new(env!("CARGO_BIN_EXE_nuskybgd"))
            .current_dir(&dir)
            .args(["batch", "list.txt", "config=t.toml"]),
    );
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("list.txt:2: ") && err.contains("obs2: no such folder"),
        "{err}"
    );
    assert!(out.is_empty(), "{out}");
}

/// A template with its own regions (read from each observation's bgd folder) and one
/// module; a template with a typo fails every observation, naming the template and the key.
#[test]
fn a_template_with_regions_and_modules_and_one_with_a_typo() {
    let dir = support::scratch("batch_template");
    let sim = simulated(&dir, 0);
    std::fs::write(dir.join("list.txt"), format!("sim0/{}\n", OBSIDS[0])).unwrap();
    let template = "[observation]\nmodules = [\"A\"]\n[regions]\nA.background = [\"../bgd1A.reg\", \"../bgd2A.reg\"]\n[fit]\nstatstic = \"cstat\"\n";
    std::fs::write(dir.join("template.toml"), template).unwrap();
    let (code, out, err) = batch_cmd(&sim, &dir, &[]);
    assert_eq!(code, 3, "{out}{err}");
    let row = rows(&out, "failed");
    assert_eq!(row.len(), 1, "{out}");
    assert!(
        row[0].contains("template.toml: for ") && row[0].contains("unknown key 'fit.statstic'"),
        "{out}"
    );
    std::fs::write(
        dir.join("template.toml"),
        template.replace("statstic", "statistic"),
    )
    .unwrap();
    let (code, out, err) = batch_cmd(&sim, &dir, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(rows(&out, " ok ").len(), 1, "{out}");
    let config = std::fs::read_to_string(sim.obsdir.join("bgd/nuskybgd.toml")).unwrap();
    assert!(
        config.contains("modules = [\"A\"]") && !config.contains("B.background"),
        "{config}"
    );
    assert!(
        config.contains("A.background = [\"../bgd1A.reg\", \"../bgd2A.reg\"]"),
        "{config}"
    );
    assert!(config.contains("A.source = []"), "{config}");
    assert!(sim.obsdir.join("bgd/bgd2A_sr_g30.pha").is_file());
    assert!(!sim.obsdir.join("bgd/bgd3A_sr_g30.pha").exists());
}
