"""Errors raise NuskybgdError (a RuntimeError) with the command line's one-line message."""

import os
import subprocess
import sys

import pytest

import nuskybgd
from nuskybgd import cli


def cli_message(args):
    exe = os.path.join(os.path.dirname(sys.executable), "nuskybgd")
    r = subprocess.run([exe] + args, capture_output=True, text=True)
    assert r.returncode != 0
    line = r.stderr.strip().splitlines()[-1]
    prefix = f"nuskybgd {args[0]}: error: "
    assert line.startswith(prefix), line
    return line[len(prefix):]


def test_error_class():
    assert issubclass(nuskybgd.NuskybgdError, RuntimeError)
    assert cli.NuskybgdError is nuskybgd.NuskybgdError


@pytest.mark.parametrize("args", [
    ["fit", "no_such_bgdinfo.json"],
    ["mkinstrmap", "no_such.evt"],
    ["aspecthist", "no_such_det1.fits", "gtifile=x.fits", "out=y.fits"],
    ["xcm-fit", "no_such.xcm"],
    ["plot", "no_such.xcm", "bogus=1"],
])
def test_same_message_as_cli(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = getattr(cli, args[0].replace("-", "_"))
    with pytest.raises(nuskybgd.NuskybgdError) as e:
        f(args)
    msg = str(e.value)
    assert "\n" not in msg
    assert msg == cli_message(args)


def test_existing_output_refused(demo_dir, monkeypatch):
    monkeypatch.chdir(demo_dir / "60001001002" / "event_cl" / "bgd")
    with pytest.raises(nuskybgd.NuskybgdError, match="bgdparams"):
        cli.fit(["fit", "bgdinfo.json", "savefile=bgdparams"])


def test_session_errors(tmp_path):
    with pytest.raises(nuskybgd.NuskybgdError, match="no_such.xcm"):
        nuskybgd.Session(tmp_path / "no_such.xcm")


def test_unknown_task():
    with pytest.raises(nuskybgd.NuskybgdError, match="unknown task"):
        cli.run_task(["no-such-task", "a=b"])
