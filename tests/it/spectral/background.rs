//! The engine subtracts a spectrum's BACKFILE as XSPEC does (scaled by exposure, area and
//! BACKSCAL, its variance added), `backgrnd n none` switches it off, and cstat on it is XSPEC's W-statistic.

use nuskybgd::spectral::run::load;
use nuskybgd::spectral::stat;
use nuskybgd::tasks::bgdspec::bgdspec;

use crate::support::bgdspec_case::*;

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
    // switched off by command
    let off = model("backgrnd 1 none\n", "chi");
    assert!(off.data[0].background.is_none());
    assert_eq!(
        off.data_counts().0,
        noticed.iter().map(|&k| raw[k]).collect::<Vec<_>>()
    );
    // cstat with the BACKFILE: W-stat on the raw source and background counts, the
    // background spectrum collecting EXPFACTOR times the source's exposure·area·BACKSCAL
    let w = model("", "cstat");
    let bins = w.poisson_bins();
    assert_eq!(bins.len(), noticed.len());
    for (bin, &k) in bins.iter().zip(&noticed) {
        let bb = bin.background.expect("background per bin");
        assert_eq!((bin.counts, bb.counts), (raw[k], bg[k]));
        assert!(close(bb.ratio, EXPFACTOR, 1e-12), "{}", bb.ratio);
    }
    let m = w.model_counts().unwrap();
    let want: f64 = bins
        .iter()
        .zip(&m)
        .map(|(b, m)| stat::wstat_bin(b.counts, b.background.unwrap().counts, EXPFACTOR, *m).value)
        .sum();
    let got = w.statistic_value().unwrap();
    assert!(close(got, want, 1e-9), "{got} vs {want}");
    // without it, plain Cash on the raw counts
    let cash = model("backgrnd 1 none\n", "cstat");
    let want: f64 = noticed
        .iter()
        .zip(&m)
        .map(|(&k, m)| stat::cash_bin(raw[k], *m).value)
        .sum();
    assert!(close(cash.statistic_value().unwrap(), want, 1e-9));
}
