//! Model functions against XSPEC 6.35.1's own model library (reference/models).

use crate::support::{self, assert_variant};
use nuskybgd::error::SpectralError;
use nuskybgd::spectral::expr::Expression;
use nuskybgd::Error;

fn read_table(path: &std::path::Path) -> (Vec<f64>, Vec<f64>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut edges = Vec::new();
    let mut flux = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let v: Vec<f64> = line
            .split_whitespace()
            .map(|s| s.parse().unwrap())
            .collect();
        if edges.is_empty() {
            edges.push(v[0]);
        }
        edges.push(v[1]);
        flux.push(v[2]);
    }
    (edges, flux)
}

/// XSPEC integrates cutoffpl with an incomplete-gamma routine that changes method at
/// x = E/HighECut = 0.25 when PhoIndex > 1; in the one bin whose edges straddle that
/// point its value departs from the exact integral by ~1.3e-6 (measured: bin 10.28-10.32
/// keV of 01_cutoffpl_nustar). We keep the exact integral; that bin is held to 2e-6.
fn xspec_switch_bin(model: &str, p: &[f64], lo: f64, hi: f64) -> bool {
    model == "cutoffpl" && p[0] > 1.0 && lo / p[1] <= 0.25 && hi / p[1] > 0.25
}

#[test]
fn every_reference_table_to_1e6() {
    let Some(dir) = support::shared("models_vs_xspec", "reference/models") else {
        return;
    };
    let index = std::fs::read_to_string(dir.join("INDEX.txt")).unwrap();
    let mut n = 0;
    for line in index
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (file, model, params) = (f[0], f[1], f[2]);
        let p: Vec<f64> = params.split(',').map(|s| s.parse().unwrap()).collect();
        let (edges, want) = read_table(&dir.join(file));
        let got = Expression::parse(model).unwrap().eval(&p, &edges).unwrap();
        let peak = want.iter().cloned().fold(0.0f64, f64::max);
        let mut worst = 0.0f64;
        let mut at = 0;
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            if *w == 0.0 {
                assert!(
                    g.abs() <= 1e-12 * peak,
                    "{file} bin {i}: XSPEC gives 0, we {g}"
                );
            } else if w.abs() > 1e-12 * peak && xspec_switch_bin(model, &p, edges[i], edges[i + 1])
            {
                // XSPEC's own value here is off the exact integral (see below)
                assert!((g - w).abs() / w.abs() <= 2e-6, "{file} bin {i}");
            } else if w.abs() > 1e-12 * peak && (g - w).abs() / w.abs() > worst {
                worst = (g - w).abs() / w.abs();
                at = i;
            }
        }
        eprintln!(
            "models {file}: max relative difference {worst:.2e} (bin {at}, {:.4}-{:.4} keV)",
            edges[at],
            edges[at + 1]
        );
        assert!(worst <= 1e-6, "{file}: {worst}");
        n += 1;
    }
    assert!(n >= 26);
}

#[test]
fn model_eval_command_prints_the_reference_layout() {
    let Some(dir) = support::shared("model_eval_cli", "reference/models") else {
        return;
    };
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_nuskybgd"))
        .args([
            "model-eval",
            "powerlaw",
            "1.7,1",
            &format!("grid={}", dir.join("grid_log.txt").display()),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (edges, want) = read_table(&dir.join("08_powerlaw_log.txt"));
    let text = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), want.len());
    for (i, l) in lines.iter().enumerate() {
        let v: Vec<f64> = l.split_whitespace().map(|s| s.parse().unwrap()).collect();
        assert_eq!((v[0], v[1]), (edges[i], edges[i + 1]));
        assert!((v[2] - want[i]).abs() <= 1e-12 * want[i].abs());
    }
}

#[test]
fn apec_without_atomdb_names_the_places_searched() {
    let e = Expression::parse("apec").unwrap();
    let refusal = e.eval(&[1.0, 1.0, 0.0, 1.0], &[1.0, 2.0]).unwrap_err();
    let err = refusal.to_string();
    assert_variant!(
        refusal,
        Error::Spectral(SpectralError::ComponentFailed { .. })
    );
    assert!(err.contains("AtomDB") && err.contains("ATOMDB"), "{err}");
}
