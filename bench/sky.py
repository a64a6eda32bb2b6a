#!/usr/bin/env python3
"""Benchmark of the sky layer on reference/sky/case_real: aspecthist and projbgd per module.

Prints wall time (best of N runs), peak memory (max RSS of the process) and the ratio to
nuskybgd-py's figures in expected/run_summary.txt. Run from the repository root after
`cargo build --release`:  python3 bench/sky.py [--runs N]
"""
import argparse, os, re, resource, subprocess, sys, tempfile, time

def run(cmd, env):
    """Run one command; return (wall seconds, max RSS in kB) of that child alone."""
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.execvpe(cmd[0], cmd, env)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}")
    return wall, ru.ru_maxrss

def reference(summary):
    """nuskybgd-py timings: {(task, module): (seconds, kB)}."""
    out = {}
    for line in open(summary):
        m = re.match(r"(\w+) (\w) rc=0 (?:(\d+):)?([\d.]+) maxrss_kB=(\d+)", line)
        if m:
            secs = float(m.group(4)) + 60 * float(m.group(3) or 0)
            out[(m.group(1), m.group(2))] = (secs, int(m.group(5)))
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    root = os.environ.get("NUSKYBGD_TESTDATA", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"))
    case = os.path.join(root, "reference", "sky", "case_real")
    binary = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "release", "nuskybgd")
    if not os.path.exists(binary):
        sys.exit("build first: cargo build --release")
    env = dict(os.environ, NUSKYBGD_AUXIL=os.path.join(root, "auxil"), RAYON_NUM_THREADS=os.environ.get("RAYON_NUM_THREADS", "2"))
    ref = reference(os.path.join(case, "expected", "run_summary.txt"))
    inp = lambda f: os.path.join(case, "input", f)
    print(f"{'task':<12}{'mod':<5}{'wall s':>9}{'peak MB':>9}{'port s':>9}{'port MB':>9}{'speed-up':>10}{'mem ratio':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for m in "AB":
            ah = os.path.join(tmp, f"aspecthist{m}.fits")
            cmds = {
                "aspecthist": [binary, "aspecthist", inp(f"nu90000000001{m}_det1.fits.gz"),
                               f"gtifile={inp(f'nu90000000001{m}01_gti.fits')}", f"out=!{ah}"],
                "projbgd": [binary, "projbgd", f"refimg={inp('im3to20keV.fits.gz')}",
                            f"out=!{os.path.join(tmp, f'bgdap{m}.fits')}", f"mod={m}", "det=1234",
                            f"chipmap={inp(f'newinstrmap{m}.fits.gz')}", f"aspect={ah}"],
            }
            for task, cmd in cmds.items():
                best, rss = min(run(cmd, env) for _ in range(args.runs))
                rs, rkb = ref.get((task, m), (float("nan"), 0))
                print(f"{task:<12}{m:<5}{best:>9.3f}{rss/1024:>9.1f}{rs:>9.2f}{rkb/1024:>9.1f}{rs/best:>9.0f}x{(rss/rkb if rkb else float('nan')):>10.2f}")

if __name__ == "__main__":
    main()
