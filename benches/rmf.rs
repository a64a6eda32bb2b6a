//! Benchmark of the real-size response: reading the CALDB FPMA DET3 RMF (4096 energies ×
//! 4096 channels, ~7 M non-zeros; gzip-compressed as shipped and uncompressed), and folding
//! ten components through it one at a time and in one pass. Prints each time and the peak
//! memory. Run: `cargo bench --bench rmf` (needs NUSKYBGD_TESTDATA or ../shared).

use nuskybgd::cli::demo::peak_rss_mb;
use nuskybgd::spectral::ogip::rmf::Rmf;
use std::path::PathBuf;
use std::time::Instant;

fn best_of<T>(n: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..n {
        let t = Instant::now();
        out = Some(f());
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, out.unwrap())
}

fn main() {
    let data = std::env::var_os("NUSKYBGD_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared"));
    let gz = data.join("caldb/nuAdet3_20100101v002.rmf.gz");
    if !gz.is_file() {
        eprintln!("rmf benchmark skipped: {} not found", gz.display());
        return;
    }
    let (t_gz, rmf) = best_of(3, || Rmf::read(&gz).expect("read"));
    let plain = std::env::temp_dir().join(format!("nuskybgd-bench-rmf-{}.rmf", std::process::id()));
    let mut raw = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(&gz).unwrap()),
        &mut raw,
    )
    .unwrap();
    std::fs::write(&plain, raw).unwrap();
    let (t_plain, _) = best_of(3, || Rmf::read(&plain).expect("read"));
    let _ = std::fs::remove_file(&plain);
    let nnz: usize = rmf.rows.iter().flatten().map(|(_, v)| v.len()).sum();
    let ne = rmf.rows.len();
    // ten smooth components (power laws and broad Lorentzians), non-zero in every bin
    let comps: Vec<Vec<f64>> = (0..10)
        .map(|k| {
            (0..ne)
                .map(|e| {
                    let x = rmf.energy_lo[e] + 0.02;
                    let c = 3.0 + 2.5 * k as f64;
                    x.powf(-1.0 - 0.1 * k as f64) + 1.0 / (1.0 + ((x - c) / 0.5).powi(2))
                })
                .collect()
        })
        .collect();
    let (t_each, _) = best_of(5, || {
        let mut outs = vec![vec![0.0; rmf.nchan]; comps.len()];
        for (w, o) in comps.iter().zip(outs.iter_mut()) {
            rmf.fold_into(w, None, o);
        }
        outs
    });
    let (t_one, _) = best_of(5, || {
        let mut outs = vec![vec![0.0; rmf.nchan]; comps.len()];
        let w: Vec<&[f64]> = comps.iter().map(|c| c.as_slice()).collect();
        let mut o: Vec<&mut [f64]> = outs.iter_mut().map(|x| x.as_mut_slice()).collect();
        rmf.fold_many(&w, &mut o);
        outs
    });
    println!(
        "RMF {ne} energies x {} channels, {nnz} non-zero elements",
        rmf.nchan
    );
    println!("read: gzip {t_gz:.3} s, uncompressed {t_plain:.3} s");
    println!(
        "fold 10 components: one at a time {:.1} ms, in one pass {:.1} ms ({:.1}x)",
        t_each * 1e3,
        t_one * 1e3,
        t_each / t_one
    );
    println!("peak memory {:.0} MB", peak_rss_mb());
}
