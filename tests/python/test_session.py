"""The object API against the command line's numbers on the demo's background model."""

import re

import numpy as np
import pytest

import nuskybgd
from nuskybgd import cli


def cli_statistic(out):
    """(name, value, dof) of the CLI's closing `statistic: NAME VALUE dof N` line."""
    m = re.search(r"^statistic: (\w+) (\S+) dof (\d+)$", out, re.M)
    return m.group(1), float(m.group(2)), int(m.group(3))


@pytest.fixture
def cli_fit(bgd, capfd, tmp_path):
    """xcm-fit of the demo's model with cstat: its output and the fitted save file."""
    out_xcm = bgd / "py_api_xfit.xcm"
    if out_xcm.exists():
        out_xcm.unlink()
    capfd.readouterr()
    cli.xcm_fit(["xcm-fit", "bgdparams.xcm", "statistic=cstat", f"out={out_xcm.name}"])
    return capfd.readouterr().out, out_xcm


def test_parameters(bgd):
    s = nuskybgd.Session("bgdparams.xcm")
    ps = s.parameters()
    assert len(ps) > 20
    keys = {"source", "index", "ref", "name", "value", "frozen", "free", "link", "delta",
            "min", "bot", "top", "max"}
    assert all(keys <= set(p) for p in ps)
    assert any(p["link"] for p in ps) and any(p["free"] for p in ps)
    assert any(p["frozen"] for p in ps)
    assert all(p["min"] <= p["value"] <= p["max"] for p in ps)
    assert s.sources() == ["apbgd", "intbgd", "fcxb", "intn"]
    assert s.components("intbgd")[:3] == ["apec", "lorentz", "lorentz_3"]


def test_statistic_at_file_values(bgd, capfd):
    capfd.readouterr()
    cli.xcm_fit(["xcm-fit", "bgdparams.xcm", "fit=no"])
    out = capfd.readouterr().out
    name, value, dof = cli_statistic(out)
    s = nuskybgd.Session("bgdparams.xcm")
    assert s.statistic_name == name
    assert s.statistic() == pytest.approx(value, rel=1e-9)
    assert s.dof() == dof


def test_fit_matches_cli(bgd, cli_fit):
    out, fitted = cli_fit
    name, value, dof = cli_statistic(out)
    s = nuskybgd.Session("bgdparams.xcm")
    s.statistic_name = "cstat"
    r = s.fit()
    assert name == "cstat" and r["converged"]
    assert r["statistic"] == pytest.approx(value, rel=1e-9)
    assert r["dof"] == dof
    assert f"fit: {r['summary']}" in out
    assert r["table"] in out  # the same parameter table, errors included
    assert len(r["free"]) == len(r["sigma"]) > 0
    # same fitted values as the CLI's fitted save file (written to its precision)
    f = nuskybgd.Session(fitted)
    f.statistic_name = "cstat"
    want = f.values()
    for ref, v in s.values().items():
        assert v == pytest.approx(want[ref], rel=1e-5, abs=1e-12), ref
    assert f.statistic() == pytest.approx(r["statistic"], rel=1e-7)


def test_fit_matches_fit_task(bgd):
    # the demo's fit task (statistic=cstat) wrote bgdparams_fit.txt
    text = (bgd / "bgdparams_fit.txt").read_text()
    name, value, dof = cli_statistic(text)
    s = nuskybgd.Session("bgdparams.xcm")
    s.statistic_name = name
    r = s.fit()
    assert r["statistic"] == pytest.approx(value, abs=2e-6)
    assert r["dof"] == dof


def test_set_freeze_thaw(bgd):
    s = nuskybgd.Session("bgdparams_fit.xcm")
    free = [p for p in s.parameters() if p["free"]]
    ref, v = free[0]["ref"], free[0]["value"]
    st0, dof0 = s.statistic(), s.dof()
    s.set(ref, v * 1.5)
    assert s.values()[ref] == v * 1.5
    assert s.statistic() != st0
    s.set(ref, v)
    assert s.statistic() == pytest.approx(st0, rel=1e-12)
    s.freeze(ref)
    assert s.dof() == dof0 + 1
    s.thaw(ref)
    assert s.dof() == dof0
    linked = next(p for p in s.parameters() if p["link"])
    with pytest.raises(ValueError):
        s.set(linked["ref"], 1.0)
    with pytest.raises(ValueError):
        s.set("nosuch:p1", 1.0)
    with pytest.raises(ValueError):
        s.set(ref, free[0]["max"] * 10 + 1)


def test_data_and_model(bgd):
    s = nuskybgd.Session("bgdparams_fit.xcm")
    for ds in s.datasets():
        n = ds["number"]
        d = s.data(n)
        k = len(d["energy"])
        assert k > 0 and k <= ds["bins"]
        assert np.all(d["e_hi"] > d["e_lo"])
        assert np.allclose(d["error"], np.sqrt(d["variance"]))
        per_source = s.model(n)
        assert set(per_source) == set(s.sources())
        total = sum(per_source.values())
        assert np.allclose(total, d["model"], rtol=1e-10)
        per_comp = s.model(n, per="component")
        assert np.allclose(sum(per_comp.values()), total, rtol=1e-9)
        chan = s.model(n, space="channel")
        lo, hi = s.channel_energies(n)
        assert all(len(v) == ds["channels"] == len(lo) for v in chan.values())
        assert len(s.channel_data(n)) == ds["channels"]
        # rebinning for display keeps the counts
        r = s.data(n, min_sig=20, max_bins=5)
        assert len(r["energy"]) <= k
        assert r["counts"].sum() == pytest.approx(d["counts"].sum(), rel=1e-12)
        rm = s.model(n, min_sig=20, max_bins=5)
        assert np.allclose(sum(rm.values()), r["model"], rtol=1e-10)


def test_statistic_from_model_and_data(bgd):
    # the chi statistic at the saved values is the sum over bins of (d - m)^2 / var
    s = nuskybgd.Session("bgdparams_fit.xcm")
    s.statistic_name = "chi"
    chi = 0.0
    for ds in s.datasets():
        d = s.data(ds["number"])
        if len(d["counts"]) != ds["bins"]:
            pytest.skip("a data set with bins that have no energies")
        chi += np.sum((d["counts"] - d["model"]) ** 2 / d["variance"])
    assert chi == pytest.approx(s.statistic(), rel=1e-6)


def test_save_roundtrip(bgd, tmp_path):
    s = nuskybgd.Session("bgdparams_fit.xcm")
    out = bgd / "py_saved.xcm"
    if out.exists():
        out.unlink()
    s.save(out)
    with pytest.raises(nuskybgd.NuskybgdError, match="exists"):
        s.save(out)
    t = nuskybgd.Session(out)
    assert t.statistic() == pytest.approx(s.statistic(), rel=1e-7)


def test_matplotlib_plot(bgd, tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")
    s = nuskybgd.Session("bgdparams_fit.xcm")
    d = s.data(1, min_sig=5)
    fig, ax = plt.subplots()
    ax.errorbar(d["energy"], d["rate"], xerr=d["de"], yerr=d["rate_error"], fmt=".")
    for name, m in s.model(1, min_sig=5).items():
        ax.step(d["e_lo"], m / (d["exposure"] * 2 * d["de"]), where="post", label=name)
    fig.savefig(tmp_path / "spec.png")
