//! The stable-toolchain stand-in for `fuzz/`: valid seed inputs mutated by a seeded
//! generator (bytes flipped, inserted, deleted, repeated; tokens that broke parsers before
//! spliced in) and fed to the same entry points as the fuzz targets. Every case must end
//! in a value or a typed error, never a panic. Seeded, so a failure reproduces; a few
//! seconds in all.

use crate::support::{self, getspec_fixture};
use nuskybgd::io::fits::Fits;
use nuskybgd::io::image::Image;
use nuskybgd::io::output::Output;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// xorshift64*: small, seeded, the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Tokens that once reached a panic, an overflow or a huge allocation.
const TOKENS: &[&str] = &[
    "(",
    ")",
    "-",
    "+",
    "=",
    "*",
    "/",
    ":",
    ",",
    "**",
    "é",
    "4294967296",
    "18446744073709551615",
    "1e308",
    "-1e308",
    "nan",
    "inf",
    "99999999",
    "'",
    "\"",
    "#",
    ";",
    "\n",
    "p1",
    "1:",
];

/// One mutation of `seed`: 1 to 4 edits.
fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(6) {
            0 if !v.is_empty() => {
                let i = at.min(v.len() - 1);
                v[i] ^= 1 << rng.below(8);
            }
            1 => v.insert(at, rng.next() as u8),
            2 if at < v.len() => {
                let end = (at + 1 + rng.below(8)).min(v.len());
                v.drain(at..end);
            }
            3 if at < v.len() => {
                let end = (at + 1 + rng.below(16)).min(v.len());
                let piece = v[at..end].to_vec();
                for _ in 0..1 + rng.below(4) {
                    v.splice(at..at, piece.iter().copied());
                }
            }
            _ => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                for _ in 0..1 + rng.below(3) {
                    v.splice(at..at, t.iter().copied());
                }
            }
        }
    }
    v
}

/// Feed `cases` mutations of each seed to `entry`; panics name the target and the input.
fn run(target: &str, seeds: &[Vec<u8>], cases: usize, mut entry: impl FnMut(&[u8])) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ target.len() as u64);
    for seed in seeds {
        entry(seed);
    }
    for k in 0..cases {
        let input = mutate(&mut rng, &seeds[k % seeds.len()]);
        let r = catch_unwind(AssertUnwindSafe(|| entry(&input)));
        assert!(
            r.is_ok(),
            "{target}: case {k} panicked on input {:?}",
            String::from_utf8_lossy(&input)
        );
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn mutated_text_inputs_give_values_or_typed_errors() {
    let seeds = |s: &[&str]| s.iter().map(|t| t.as_bytes().to_vec()).collect::<Vec<_>>();
    run(
        "link",
        &seeds(&["p1", "= 2*p3 + 1:p4", "=(p1+p2)/3-1e2", "= -p2 ^ 2"]),
        3000,
        |b| {
            let _ = nuskybgd::spectral::xcm::link::Expr::parse(&text(b));
        },
    );
    run(
        "model",
        &seeds(&[
            "constant*(powerlaw + gaussian)",
            "cutoffpl + apec + lorentz",
            "zgauss*bknpower",
        ]),
        3000,
        |b| {
            if let Ok(e) = nuskybgd::spectral::expr::Expression::parse(&text(b)) {
                let _ = e.params();
            }
        },
    );
    run(
        "selection",
        &seeds(&["1:**-3. 150.-**", "2-4:1-35,3710-4096", "**-3.0 20.0-**"]),
        3000,
        |b| {
            let _ = nuskybgd::spectral::grouping::parse_selection(&text(b));
        },
    );
    run(
        "args",
        &seeds(&["a.evt\0out=x\0clobber=yes", "--elow\x003\0y=2"]),
        2000,
        |b| {
            let words: Vec<String> = b.split(|&c| c == 0).map(text).collect();
            if let Ok(a) = nuskybgd::cli::args::Args::parse(&words) {
                let _ = a.pos(0, "FIRST");
                let _ = a.flag("clobber", false);
                let _ = a.finish(1);
            }
        },
    );
    let bgdinfo = nuskybgd::bgmodel::bgdinfo::BGDINFO_TEMPLATE;
    run("bgdinfo", &seeds(&[bgdinfo]), 2000, |b| {
        let p = Path::new("bgdinfo.json");
        let _ = nuskybgd::bgmodel::bgdinfo::BgdInfo::parse(p, &text(b));
    });
}

#[test]
fn mutated_save_files_give_values_or_typed_errors() {
    use nuskybgd::spectral::session::Session;
    use nuskybgd::spectral::xcm::file::XcmFile;
    let xcm = "statistic cstat\nmethod leven 10 0.01\nabund angr\nmodel  constant*powerlaw + gaussian\n              1         -1          0          0      1e+10      1e+10\n            1.7       0.01         -3         -2          9         10\n              1       0.01          0          0      1e+20      1e+24\n            6.4       0.05          0          0      1e+06      1e+06\n            0.1       0.05          0          0         10         20\n= p3*2\nnewpar 2 1.8\nfreeze 4\n";
    let named =
        "model 2:bg powerlaw\n1.7 0.01 -3 -2 9 10\n1 0.01 0 0 1e20 1e24\n= bg:p1\n= bg:p2/2\n";
    let seeds = vec![xcm.as_bytes().to_vec(), named.as_bytes().to_vec()];
    run("xcm", &seeds, 3000, |b| {
        let p = Path::new("fuzz.xcm");
        if let Ok(x) = XcmFile::parse(p, &text(b)) {
            let _ = Session::from_xcm(&x, p, Path::new("."), false);
        }
    });
}

#[test]
fn mutated_region_files_give_values_or_typed_errors() {
    let dir = support::scratch("fuzz_region");
    let im = dir.join("im.fits");
    Output::new(im.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(20, 20), 32)?;
            for (ax, ctype) in [(1, "RA---TAN"), (2, "DEC--TAN")] {
                f.set_key_str(&format!("CTYPE{ax}"), ctype, "")?;
                f.set_key_f64(&format!("CRPIX{ax}"), 10.0, "")?;
                f.set_key_f64(&format!("CRVAL{ax}"), 10.0, "")?;
                f.set_key_f64(&format!("CDELT{ax}"), 6.8e-4, "")?;
            }
            Ok(())
        })
        .unwrap();
    let wcs = nuskybgd::io::wcs::Wcs::read(&mut Fits::open(&im).unwrap()).unwrap();
    let seeds = [
        "# Region file format: DS9\nimage\ncircle(10,10,3)\n-box(10,10,2,2,0)\n",
        "fk5\ncircle(10.0,10.0,5\") # text={a}\npolygon(10,10,10.01,10,10,10.01)\n",
        "image;annulus(10,10,2,4);ellipse(5,5,2,1,30)\n",
    ];
    let seeds: Vec<Vec<u8>> = seeds.iter().map(|s| s.as_bytes().to_vec()).collect();
    let reg = dir.join("r.reg");
    run("region", &seeds, 1500, |b| {
        std::fs::write(&reg, b).unwrap();
        if let Ok(r) = nuskybgd::io::region::Region::read(&reg, &wcs) {
            let _ = r.contains(10.0, 10.0);
        }
    });
}

#[test]
fn mutated_fits_files_give_values_or_typed_errors() {
    let dir = support::scratch("fuzz_fits");
    let evt = dir.join("ev.evt");
    getspec_fixture::write_events(&evt, "FPMA", &getspec_fixture::events()[..20], true);
    let pha = dir.join("s.pha");
    support::pha::PhaFixture::new(nuskybgd::nustar::module::Module::A)
        .counts(&[1.0; 16])
        .write(&pha);
    let gti = dir.join("g.fits");
    Output::new(gti.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            f.create_table("GTI", &[("START", "1D", "s"), ("STOP", "1D", "s")], 2)?;
            f.write_col_f64(1, &[0.0, 20.0])?;
            f.write_col_f64(2, &[10.0, 30.0])
        })
        .unwrap();
    let seeds: Vec<Vec<u8>> = [&evt, &pha, &gti]
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let mut k = 0;
    run("fits", &seeds, 2000, |b| {
        // a fresh name each time: cfitsio shares handles between opens of one name
        k += 1;
        let p = dir.join(format!("m{k}.fits"));
        std::fs::write(&p, b).unwrap();
        if let Ok(mut f) = Fits::open(&p) {
            let n = f.num_hdus().unwrap_or(0).min(4);
            for h in 1..=n {
                if f.goto_hdu(h).is_ok() {
                    let _ = f.cards();
                    let _ = f.read_image();
                }
            }
        }
        let _ = nuskybgd::spectral::ogip::pha::Spectrum::read(p.to_str().unwrap());
        let _ = nuskybgd::spectral::ogip::rmf::Rmf::read(&p);
        let _ = nuskybgd::spectral::ogip::arf::Arf::read(&p);
        let _ = nuskybgd::nustar::gti::Gti::read(&p);
        let _ = nuskybgd::nustar::events::EventFile::open(&p);
        let _ = std::fs::remove_file(&p);
    });
}
