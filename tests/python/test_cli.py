"""Every nuskybgd.cli function on the demo's observation, as the port's README calls them."""

import os
import subprocess
import sys

import pytest

import nuskybgd
from nuskybgd import cli
from conftest import OBSID

EVT_A = f"nu{OBSID}A01_cl.evt"


def new_files(d, before):
    return sorted(set(os.listdir(d)) - before)


def test_every_task_has_a_function():
    names = [n for n, _ in nuskybgd._native.tasks()]
    for n in names:
        f = getattr(cli, n.replace("-", "_"))
        assert callable(f) and f.__name__ == n.replace("-", "_")
    for n in ["mkinstrmap", "aspecthist", "projbgd", "fit", "spec", "simplify", "image",
              "absrmf", "getspec", "bgdspec", "run", "init", "plot", "demo", "simulate",
              "batch", "mkimgs", "phafix", "getspecnoarf", "imrefspec", "refspec",
              "regmask", "xcm_fit", "xcm_show", "model_eval", "install_scripts"]:
        assert n.replace("_", "-") in names or n in names, n


def test_demo_made_the_products(demo_dir):
    bgd = demo_dir / OBSID / "event_cl" / "bgd"
    for f in ["bgdparams_fit.xcm", "bgd_srcA.xcm", "report.html", "srcA_sr_g30_bgd.pha"]:
        assert (bgd / f).is_file(), f


def test_mkimgs(obs):
    cli.mkimgs(["mkimgs", EVT_A, "py_imA", 3, 20])
    assert any(f.startswith("py_imA") for f in os.listdir(obs))


def test_mkinstrmap(obs):
    before = set(os.listdir(obs))
    cli.mkinstrmap(["mkinstrmap", EVT_A, "prefix=py_"])
    assert new_files(obs, before)


def test_aspecthist(obs):
    cli.aspecthist(["aspecthist", f"nu{OBSID}A_det1.fits",
                    f"gtifile=nu{OBSID}A01_gti.fits", "out=py_aspecthistA.fits"])
    assert (obs / "py_aspecthistA.fits").is_file()


def test_projbgd(bgd, tmp_path, monkeypatch):
    # projbgd writes det<d><M>im.fits beside its output: a folder of its own
    monkeypatch.chdir(tmp_path)
    cli.projbgd(["projbgd", f"refimg={bgd}/imA3to20keV.fits", "out=py_bgdapA.fits",
                 "mod=A", "det=1234", f"chipmap={bgd}/newinstrmapA.fits",
                 f"aspect={bgd}/aspecthistA.fits"])
    assert (tmp_path / "py_bgdapA.fits").is_file()


def test_regmask(bgd):
    cli.regmask(["regmask", "imA3to20keV.fits", "../bgd1A.reg", "out=py_mask.fits"])
    assert (bgd / "py_mask.fits").is_file()


def test_getspec_and_phafix(obs):
    os.makedirs("py_spec", exist_ok=True)
    cli.getspec(["getspec", EVT_A, "reg=bgd1A.reg", "outdir=py_spec", "outprefix=b1A"])
    phas = sorted(str(p) for p in (obs / "py_spec").glob("*.pha"))
    assert phas
    cli.phafix(["phafix"] + phas)


def test_getspecnoarf(obs):
    os.makedirs("py_specnoarf", exist_ok=True)
    cli.getspecnoarf(["getspecnoarf", EVT_A, "reg=bgd2A.reg", "indir=.",
                      "outdir=py_specnoarf", "outprefix=bgd2A"])
    assert list((obs / "py_specnoarf").glob("bgd2A*.pha"))


def test_absrmf_refspec_imrefspec(obs):
    os.makedirs("py_abs", exist_ok=True)
    cli.absrmf(["absrmf", EVT_A, "py_abs/det"])
    assert (obs / "py_abs" / "det0A.rmf").is_file()
    # refspec/imrefspec read the bgd folder's images beside the RMFs
    cli.refspec(["refspec", "dir=bgd", "mods=A", "clobber=yes"])
    cli.imrefspec(["imrefspec", "B", "0123", "dir=bgd", "clobber=yes"])


def test_fit(bgd, capfd):
    cli.fit(["fit", "bgdinfo.json", "savefile=py_fitbgd", "statistic=cstat",
             "clobber=yes"])  # rewrites the demo's ARFs (the same ones)
    assert (bgd / "py_fitbgd_fit.xcm").is_file()
    assert "statistic" in capfd.readouterr().out


def test_spec_simplify(bgd):
    cli.spec(["spec", "bgdinfo.json", "bgdparams_fit.xcm", "../srcA.reg",
              "srcA_sr_g30.pha", "savefile=py_bgd_src.xcm", "clobber=yes"])
    assert (bgd / "py_bgd_src.xcm").is_file()
    cli.simplify(["simplify", "bgdinfo.json", "py_bgd_src.xcm",
                  "savefile=py_simple.xcm"])
    assert (bgd / "py_simple.xcm").is_file()


def test_bgdspec(bgd):
    cli.bgdspec(["bgdspec", "bgdinfo.json", "bgdparams_fit.xcm", "../srcB.reg",
                 "srcB_sr_g30.pha", "out=py_bgd.pha", "clobber=yes"])
    assert (bgd / "py_bgd.pha").is_file()


def test_image(bgd):
    before = set(os.listdir(bgd))
    cli.image(["image", "bgdinfo.json", "bgdparams_fit.xcm", 3, 20, "prefix=py_img_"])
    assert any(f.startswith("py_img_") for f in new_files(bgd, before))


def test_plot(bgd):
    before = set(os.listdir(bgd))
    cli.plot(["plot", "bgdparams_fit.xcm", "out=py_plot", "rebin=5,10"])
    assert any(f.startswith("py_plot") for f in new_files(bgd, before))


def test_xcm_show_and_fit(bgd, capfd):
    cli.xcm_show(["xcm-show", "bgdparams_fit.xcm"])
    assert "bgdparams" in capfd.readouterr().out or True
    cli.xcm_fit(["xcm-fit", "bgdparams.xcm", "statistic=cstat", "out=py_xfit.xcm"])
    out = capfd.readouterr().out
    assert out.strip().splitlines()[-1].startswith("statistic: cstat")
    assert (bgd / "py_xfit.xcm").is_file()


def test_model_eval(tmp_path, capfd):
    grid = tmp_path / "edges.txt"
    grid.write_text("\n".join(str(3 + 0.5 * k) for k in range(11)) + "\n")
    cli.model_eval(["model-eval", "cutoffpl", "1.29,41.13,0.002353", f"grid={grid}"])
    lines = [l for l in capfd.readouterr().out.splitlines() if l.strip()]
    assert len(lines) >= 10


def test_simulate_init_run_batch(tmp_path, demo_dir, capfd):
    sim = tmp_path / "sim"
    cli.simulate(["simulate", str(sim), "seed=3", "exposure=20000", "archive=yes"])
    obsdir = sim / OBSID
    assert (obsdir / "event_cl").is_dir()
    cli.init(["init", str(obsdir), "statistic=cstat"])
    toml = obsdir / "event_cl" / "bgd" / "nuskybgd.toml"
    assert toml.is_file()
    cli.run(["run", str(toml)])
    assert (obsdir / "event_cl" / "bgd" / "bgdparams_fit.xcm").is_file()
    # batch: the same observation again (up to date) from a list and a template
    lst = tmp_path / "obs.txt"
    lst.write_text(f"{obsdir}\n")
    template = demo_dir / OBSID / "event_cl" / "bgd" / "nuskybgd.toml"
    cli.batch(["batch", str(lst), f"config={template}", f"out={tmp_path / 'sum.csv'}",
               "clobber=yes"])
    assert (tmp_path / "sum.csv").is_file()


def test_install_scripts(tmp_path):
    cli.install_scripts(["install-scripts", str(tmp_path / "bin")])
    assert (tmp_path / "bin" / "phafix.py").exists()


def test_help_prints_usage(capfd):
    cli.fit(["fit", "--help"])
    assert "bgdinfo.json" in capfd.readouterr().out


def test_call_without_task_name():
    # the list may leave the task name out; a bare call prints the usage
    cli.mkinstrmap()


def test_console_script():
    exe = os.path.join(os.path.dirname(sys.executable), "nuskybgd")
    r = subprocess.run([exe, "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("nuskybgd ")


def test_installed_script_names_run_the_task(tmp_path):
    # a link made by install-scripts runs its task through the console script
    cli.install_scripts(["install-scripts", str(tmp_path / "bin2")])
    link = tmp_path / "bin2" / "phafix.py"
    r = subprocess.run([str(link), "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "phafix" in r.stdout


def test_output_goes_through_sys_stdout(bgd):
    # the native side writes through sys.stdout / sys.stderr, so Python can redirect it
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        cli.xcm_fit(["xcm-fit", "bgdparams.xcm", "fit=no"])
        cli.fit(["fit", "--help"])
    assert "statistic at the file's values" in out.getvalue()
    assert "bgdinfo.json" in out.getvalue()
