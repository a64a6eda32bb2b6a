//! apec from AtomDB-format tables this test writes: temperature interpolation, abundance
//! scaling (H and He solar), continuum integration, lines, redshift and normalisation.

use crate::support;
use nuskybgd::io::image::Image;
use nuskybgd::io::output::Output;
use nuskybgd::spectral::expr::Expression;
use nuskybgd::spectral::models::apec::set_atomdb_dir;
use std::path::Path;

const KEV_A: f64 = 12.3984191;

/// Per temperature: (H continuum density, Fe continuum at 0.1 and 10 keV, Fe pseudo
/// density, Fe XXV line emissivity at 6.7 keV).
const T: [(f64, f64, f64, f64, f64, f64); 2] = [
    (1.0, 2e-18, 4e-18, 1e-18, 5e-19, 3e-17),
    (2.0, 3e-18, 6e-18, 2e-18, 1e-18, 5e-17),
];

fn write_tables(dir: &Path) {
    let coco = dir.join("apec_v9.9.9_coco.fits");
    Output::new(coco.to_str().unwrap(), true)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            f.create_table(
                "PARAMETERS",
                &[
                    ("kT", "1D", "keV"),
                    ("NElement", "1J", ""),
                    ("NCont", "1J", ""),
                ],
                2,
            )?;
            f.write_col_f64(1, &[T[0].0, T[1].0])?;
            for &(kt, h, fe0, fe1, ps, _) in &T {
                let cols = [
                    ("Z", "1J", ""),
                    ("rmJ", "1J", ""),
                    ("N_Cont", "1J", ""),
                    ("N_Pseudo", "1J", ""),
                    ("E_Cont", "3D", "keV"),
                    ("Continuum", "3D", ""),
                    ("E_Pseudo", "3D", "keV"),
                    ("Pseudo", "3D", ""),
                ];
                f.create_table("EMISSIVITY", &cols, 3)?;
                f.set_key_f64("TEMPERATURE", kt * 1.1604505e7, "K")?;
                f.write_col_i64(1, &[1, 26, 26])?;
                f.write_col_i64(2, &[0, 0, 25])?; // the ion row (rmJ 25) is not part of the equilibrium continuum
                f.write_col_i64(3, &[2, 2, 2])?;
                f.write_col_i64(4, &[2, 2, 2])?;
                f.write_col_f64(5, &[0.1, 100.0, 0.0, 0.1, 10.0, 0.0, 0.1, 100.0, 0.0])?;
                f.write_col_f64(6, &[h, h, 0.0, fe0, fe1, 0.0, 1.0, 1.0, 0.0])?;
                f.write_col_f64(7, &[0.1, 100.0, 0.0, 0.1, 100.0, 0.0, 0.1, 100.0, 0.0])?;
                f.write_col_f64(8, &[0.0, 0.0, 0.0, ps, ps, 0.0, 1.0, 1.0, 0.0])?;
            }
            Ok(())
        })
        .unwrap();
    let line = dir.join("apec_v9.9.9_line.fits");
    Output::new(line.to_str().unwrap(), true)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            f.create_table(
                "PARAMETERS",
                &[
                    ("kT", "1D", "keV"),
                    ("Nelement", "1J", ""),
                    ("Nline", "1J", ""),
                ],
                2,
            )?;
            f.write_col_f64(1, &[T[0].0, T[1].0])?;
            for &(kt, .., eps) in &T {
                f.create_table(
                    "EMISSIVITY",
                    &[
                        ("Lambda", "1D", "A"),
                        ("Lambda_Err", "1D", "A"),
                        ("Epsilon", "1D", ""),
                        ("Epsilon_Err", "1D", ""),
                        ("Element", "1J", ""),
                        ("Ion", "1J", ""),
                    ],
                    1,
                )?;
                f.set_key_f64("TEMPERATURE", kt * 1.1604505e7, "K")?;
                f.write_col_f64(1, &[KEV_A / 6.7])?;
                f.write_col_f64(3, &[eps])?;
                f.write_col_i64(5, &[26])?;
                f.write_col_i64(6, &[25])?;
            }
            Ok(())
        })
        .unwrap();
}

/// ∫ over [a, b] of the continuum density at weights (w0, w1) of the two temperatures.
fn expected_continuum(a: f64, b: f64, w: [f64; 2], abund: f64) -> f64 {
    let mut s = 0.0;
    for (k, &(_, h, fe0, fe1, ps, _)) in T.iter().enumerate() {
        let fe = |x: f64| fe0 + (fe1 - fe0) * (x - 0.1) / 9.9;
        let (lo, hi) = (a.max(0.1), b.min(10.0));
        let fe_int = if hi > lo {
            0.5 * (fe(lo) + fe(hi)) * (hi - lo)
        } else {
            0.0
        };
        s += w[k] * (h * (b - a) + abund * (fe_int + ps * (b - a)));
    }
    s
}

#[test]
fn apec_interpolates_scales_and_shifts() {
    let dir = support::scratch("apec_tables");
    write_tables(&dir);
    set_atomdb_dir(Some(dir.to_path_buf()));
    let edges: Vec<f64> = (0..=200).map(|i| 1.0 + 0.05 * i as f64).collect();
    let e = Expression::parse("apec").unwrap();
    // kT halfway between the tables, half-solar metals, norm 2
    let f = e.eval(&[1.5, 0.5, 0.0, 2.0], &edges).unwrap();
    let line_bin = edges.partition_point(|x| *x < 6.7) - 1;
    for b in 0..f.len() {
        let mut want = expected_continuum(edges[b], edges[b + 1], [0.5, 0.5], 0.5);
        if b == line_bin {
            want += 0.5 * 0.5 * (T[0].5 + T[1].5);
        }
        want *= 1e14 * 2.0;
        assert!(
            (f[b] - want).abs() <= 1e-12 * want.abs(),
            "bin {b}: {} vs {want}",
            f[b]
        );
    }
    // at a tabulated temperature only that table counts; outside the range, the nearest
    let g = e.eval(&[2.0, 1.0, 0.0, 1.0], &edges).unwrap();
    let h = e.eval(&[5.0, 1.0, 0.0, 1.0], &edges).unwrap();
    assert_eq!(g, h);
    let want = 1e14 * (expected_continuum(edges[0], edges[1], [0.0, 1.0], 1.0));
    assert!((g[0] - want).abs() <= 1e-12 * want);
    // redshift: the line moves to 6.7/(1+z) and everything is divided by (1+z)
    let z = 0.1;
    let r = e.eval(&[1.0, 1.0, z, 1.0], &edges).unwrap();
    let zb = edges.partition_point(|x| *x < 6.7 / (1.0 + z)) - 1;
    let cont = 1e14 / (1.0 + z)
        * expected_continuum(
            edges[zb] * (1.0 + z),
            edges[zb + 1] * (1.0 + z),
            [1.0, 0.0],
            1.0,
        );
    let line = 1e14 / (1.0 + z) * T[0].5;
    assert!(
        (r[zb] - cont - line).abs() <= 1e-12 * (cont + line),
        "{} vs {}",
        r[zb],
        cont + line
    );
    set_atomdb_dir(None);
}
