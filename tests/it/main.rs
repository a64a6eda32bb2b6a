//! The integration tests, one crate (one binary to build and link). Modules mirror `src/`;
//! shared helpers (the reference data under NUSKYBGD_TESTDATA, scratch folders, fixture
//! writers) are in `support/`. Put a new test in the module of the code it tests.

// Helpers: shared data lookup, scratch folders, fixtures, the exact minimum solver.
mod support;

// The command-line shell: exit codes and help; the port's own command lines (drop-in).
mod cli;

// Bad input found by fuzzing: sizes beyond the file, columns that disagree, overflows.
mod robustness;
// The bad-input catalogue across every task.
mod robustness_catalogue;
// The refusals of issue 8 that said the wrong thing or nothing, with their messages.
mod robustness_refusals;
// Seeded mutations of valid inputs through every parser: values or typed errors, never a panic.
mod robustness_fuzz;

mod io {
    // The FITS layer: round trips through cfitsio, gzip reading, errors naming the file.
    mod fits;
}

mod nustar {
    // CALDB lookups filtered on the calibration boundary (CAL_CBD).
    mod caldb;
    // phafix: directory paths stripped from RESPFILE/ANCRFILE/BACKFILE.
    mod phafix;
}

mod sky {
    // aspecthist against nuskybgd-py's outputs, dirty real aspect data, bad input.
    mod aspecthist;
    // Region masks against pyregion, region edge cases, the regmask command.
    mod regmask;
}

mod spectral {
    // The engine's BACKFILE subtraction (as XSPEC does it) and cstat on it.
    mod background;
    // OGIP readers and writers, folding, grouping, statistics at Sherpa's best fit.
    mod ogip;
    // Kaastra & Bleeker optimal binning, by formula and through getspec group=optimal.
    mod optimal;
    // XSPEC's W-statistic and pgstat against Sherpa's wstat.
    mod stat;
    // RMFs shared across the tasks of a process, and the one-pass fold.
    mod store;
    // Save files: real files round trip, XSPEC's link rules, the IDL nuskybgd's file.
    mod xcm;
    mod fit {
        // The fitter reaches the exact bounded minimum of models linear in their norms.
        mod minimum;
        // Real Earth-occultation spectra beside their authors' XSPEC fits.
        mod occultation;
        // xcm-fit reaches Sherpa's minimum on every reference case; xcm-fit/xcm-show CLI.
        mod sherpa;
    }
    mod models {
        // apec from AtomDB-format tables written by the test.
        mod apec;
        // Model functions against XSPEC's own model library.
        mod xspec;
    }
}

mod bgmodel {
    // The background model save file against SPEC §6.3's worked example; simplify.
    mod model_build;
    // The original's ratios.json reads with every component in order.
    mod presets;
}

mod tasks {
    // absrmf: detector RMFs times DETABS, from files or a stand-in CALDB.
    mod absrmf;
    // bgdspec on case_real: against spec and image, Poisson, BACKFILE; refusals; CLI.
    mod bgdspec;
    // The fit, image and spec tasks on case_real with a stand-in CALDB.
    mod fit_task;
    // getspec: event selection, spectra, grouping, the event-weighted RMF.
    mod getspec;
    // mkinstrmap: PIXPOS RAW→DET1 maps, bad pixels, CALDB lookup, the whole task.
    mod instrmap;
    // mkimgs: counts equal an independent count of the events; headers.
    mod mkimgs;
    // projbgd against nuskybgd-py's outputs.
    mod projbgd;
    // refspec: counts from the cutoffpl model through ARF and RMF.
    mod refspec;
}

mod sim {
    // The simulate task: determinism, counts against the truth, readable products.
    mod simulate;
    // The real-size simulation: full-size responses against the real RMF, counts=.
    mod fullsize;
}

mod pipeline {
    // batch: many observations from one template, a failed one reported, reruns skip.
    mod batch;
    // `nuskybgd demo` on a fresh machine: every step runs, products load.
    mod demo;
    // Recovery of a known background over 20 simulated observations.
    mod recovery;
    // init + run on a simulated observation: products, skipping, reruns, bad configurations.
    mod run;
}
