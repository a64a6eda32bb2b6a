//! The original's `ratios.json` reads with every component in order.

use crate::support;
use nuskybgd::bgmodel::presets::{Module, Presets};

#[test]
fn shipped_ratios_json() {
    let Some(p) = support::shared("shipped_ratios_json", "auxil/ratios.json") else {
        return;
    };
    let r = Presets::read(&p).unwrap();
    // 1 apec + 29 lorentz lines, XSPEC's naming of repeated components
    assert_eq!(r.intbgd.a.len(), 30);
    assert_eq!(r.intbgd.a[0].name, "apec");
    assert_eq!(r.intbgd.a[1].name, "lorentz");
    assert_eq!(r.intbgd.a[2].name, "lorentz_3");
    assert_eq!(r.intbgd.a[29].name, "lorentz_30");
    assert_eq!(r.apbgd.a[0].value("phoindex"), Some(1.29));
    assert_eq!(r.apbgd.a[0].value("highecut"), Some(41.13));
    assert_eq!(r.intn.module(Module::A)[0].value("breake"), Some(124.0));
    let lines: Vec<f64> = r.intbgd.a[1..]
        .iter()
        .map(|c| c.value("linee").unwrap())
        .collect();
    assert!(
        lines.windows(2).all(|w| w[0] < w[1]),
        "line energies ascend"
    );
    assert!((lines[0] - 3.539).abs() < 1e-3 && (lines[28] - 144.556).abs() < 1e-3);
    for c in r.intbgd.a.iter().chain(&r.intbgd.b) {
        assert!(c.ifactors.is_some(), "{} has ifactors", c.name);
    }
}
