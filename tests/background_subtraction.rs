//! The engine subtracts a spectrum's BACKFILE as XSPEC does (scaled by exposure, area and
//! BACKSCAL, its variance added), `backgrnd n none` switches it off, cstat is refused.

use nuskybgd::spectral::run::load;
use nuskybgd::workflow::bgdspec::bgdspec;

mod bgdspec_case;
mod case_real;
use bgdspec_case::*;

#[test]
fn the_engine_subtracts_the_background_file_like_xspec() {
    let Some(c) = case("bgdspec_engine") else {
        return;
    };
    let s = bgdspec(&c.req()).unwrap();
    let model = |extra: &str, stat: &str| {
        let p = c.dir.join(format!("src_{stat}{}.xcm", extra.len()));
        std::fs::write(
            &p,
            format!(
                "statistic {stat}\ndata 1:1 {}\n{extra}ignore 1:**-3. 79.-**\n\nmodel  powerlaw\n              2       0.01         -3         -2          9         10\n          0.001       0.01          0          0      1e+20      1e+24\n",
                c.src.display()
            ),
        )
        .unwrap();
        load(&p, true).unwrap()
    };
    let sess = model("", "chi");
    let ds = &sess.data[0];
    let b = ds.background.as_ref().expect("BACKFILE loaded");
    assert!(close(b.scale, 1.0 / EXPFACTOR, 1e-12), "{}", b.scale);
    assert!(b.file.ends_with("src_sr_g30_bgd.pha"));
    let (d, v) = sess.data_counts();
    let raw = ds.bins.sum(&ds.spectrum.counts);
    let bg = ds.bins.sum(&counts_of(&s.output));
    let noticed: Vec<usize> = (0..ds.bins.len()).filter(|&k| ds.noticed[k]).collect();
    assert_eq!(d.len(), noticed.len());
    for (j, &k) in noticed.iter().enumerate() {
        assert!(close(d[j], raw[k] - bg[k] / EXPFACTOR, 1e-12));
        assert!(close(v[j], raw[k] + bg[k] / EXPFACTOR / EXPFACTOR, 1e-12));
    }
    let net: f64 = d.iter().sum();
    let gross: f64 = noticed.iter().map(|&k| raw[k]).sum();
    eprintln!("3-79 keV: gross {gross} counts, net {net:.1}");
    assert!(net < gross && sess.statistic_value().unwrap().is_finite());
    // switched off by command; cstat on subtracted data refused
    let off = model("backgrnd 1 none\n", "chi");
    assert!(off.data[0].background.is_none());
    assert_eq!(
        off.data_counts().0,
        noticed.iter().map(|&k| raw[k]).collect::<Vec<_>>()
    );
    let e = model("", "cstat")
        .statistic_value()
        .unwrap_err()
        .to_string();
    assert!(e.contains("W-stat"), "{e}");
}
