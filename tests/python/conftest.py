"""Fixtures: one demo observation (simulated, with its CALDB and auxiliary files) made once
per test session through nuskybgd.cli.demo; each test works in a copy of its event_cl."""

import os
import pytest

import nuskybgd.cli

OBSID = "60001001002"


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory):
    """The demo's output folder (OBSID/event_cl, caldb, auxil), with CALDB and
    NUSKYBGD_AUXIL pointing at its calibration for the tasks run on it."""
    top = tmp_path_factory.mktemp("demo") / "d"
    nuskybgd.cli.demo(["demo", str(top)])
    os.environ["CALDB"] = str(top / "caldb")
    os.environ["NUSKYBGD_AUXIL"] = str(top / "auxil")
    return top


@pytest.fixture
def obs(demo_dir, monkeypatch):
    """The demo's event_cl folder (bgd/ with every product in it), as cwd. Tests write new
    names only (py_*), so they never disturb each other or the demo's products."""
    d = demo_dir / OBSID / "event_cl"
    monkeypatch.chdir(d)
    return d


@pytest.fixture
def bgd(obs, monkeypatch):
    """The demo's event_cl/bgd folder, as cwd."""
    monkeypatch.chdir(obs / "bgd")
    return obs / "bgd"
