#!/usr/bin/env python3
"""Check nuskybgd's output files with the field's own readers (not part of the Rust tests:
it needs astropy and Sherpa, `pip install astropy sherpa`).

  python3 tools/verify_outputs.py DEMO_DIR     (a directory written by `nuskybgd demo`)

1. every FITS file under DEMO_DIR passes astropy's verify('exception') with its
   CHECKSUM/DATASUM checked, and its data load;
2. every grouped spectrum of DEMO_DIR/analysis loads in Sherpa with its RMF (RESPFILE),
   its apbgd ARF and, for source spectra, the background bgdspec pointed BACKFILE at; the
   spectra fit jointly with cstat.
Exit status 0 only when everything passes.
"""
import glob, os, sys, warnings

def astropy_check(root):
    from astropy.io import fits
    bad = n = 0
    for f in sorted(glob.glob(os.path.join(root, "**", "*"), recursive=True)):
        if not f.endswith((".fits", ".pha", ".rmf", ".arf", ".evt", ".indx")):
            continue
        n += 1
        try:
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                with fits.open(f, checksum=True) as h:
                    h.verify("exception")
                    for hdu in h:
                        _ = hdu.data
            sums = [str(x.message) for x in w if "sum" in str(x.message).lower()]
            if sums:
                bad += 1
                print("checksum:", f, sums[0])
        except Exception as e:
            bad += 1
            print("FAIL:", f, e)
    print(f"astropy: {n} FITS files, {bad} with problems")
    return bad == 0 and n > 0

def sherpa_check(analysis):
    from sherpa.astro import ui
    cwd = os.getcwd()
    os.chdir(analysis)
    try:
        ui.set_stat("cstat")
        phas = sorted(glob.glob("*_sr_g30.pha"))
        ui.create_model_component("powlaw1d", "p1")
        for i, pha in enumerate(phas, 1):
            ui.load_pha(i, pha)
            arf = pha.replace(".pha", "_nsb.arf")
            if os.path.exists(arf):
                ui.load_arf(i, arf)
            ui.set_source(i, ui.get_model_component("p1"))
            ui.notice_id(i, 3.0, 150.0)
            d = ui.get_data(i)
            print(f"sherpa: {pha}: {d.counts.sum():.0f} counts, RMF {ui.get_rmf(i).detchans} channels, backgrounds {list(ui.list_bkg_ids(i))}")
        ui.fit()
        return len(phas) > 0
    finally:
        os.chdir(cwd)

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = sys.argv[1]
    ok = astropy_check(root)
    ok = sherpa_check(os.path.join(root, "analysis")) and ok
    sys.exit(0 if ok else 1)
