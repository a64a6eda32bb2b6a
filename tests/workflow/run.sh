#!/usr/bin/env bash
# The Snakemake workflow on three simulated observations with --cores 2: every product
# (report.html, the fitted xcm, run.json with the fit ran) and the gathered summary; a
# second snakemake has nothing to do.
# Usage: tests/workflow/run.sh NUSKYBGD SNAKEMAKE   (paths of the two programs)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
nuskybgd="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
snakemake="$2"
work="$(mktemp -d "${TMPDIR:-/tmp}/nuskybgd-workflow-XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir "$work/tmp"
export TMPDIR="$work/tmp"
fail() { echo "workflow test: FAILED: $*" >&2; exit 1; }

obsids=(60001001002 60001002002 60001003002)
for k in 0 1 2; do
  "$nuskybgd" simulate "$work/sim$k" archive=yes seed=$((k + 1)) obsid="${obsids[$k]}" > /dev/null
done
{
  echo "observations:"
  for k in 0 1 2; do echo "  - sim$k/${obsids[$k]}"; done
  echo "nuskybgd: $nuskybgd"
  echo "auxil: $work/sim0/auxil"
  echo "caldb: $work/sim0/caldb"
  echo "init_args: statistic=cstat"
  echo "summary: summary.csv"
} > "$work/config.yaml"

t0=$(date +%s)
"$snakemake" -s "$repo/workflow/Snakefile" --directory "$work" --configfile "$work/config.yaml" \
  --cores 2 --quiet > "$work/snakemake.log" 2>&1 || { cat "$work/snakemake.log" >&2; fail "snakemake"; }
t1=$(date +%s)

for k in 0 1 2; do
  w="$work/sim$k/${obsids[$k]}/event_cl/bgd"
  for f in nuskybgd.toml report.html bgdparams_fit.xcm run.json run.log snakemake_run.log; do
    [ -s "$w/$f" ] || fail "$w/$f not made"
  done
  python3 - "$w/run.json" <<'PY' || fail "$w/run.json"
import json, sys
s = json.load(open(sys.argv[1]))["steps"]
assert s["fit"]["status"] == "ran", s["fit"]["status"]
assert s["fit"]["facts"]["statistic_name"] == "cstat"
assert all(v["status"] == "ran" for v in s.values())
PY
done
python3 - "$work/summary.csv" <<'PY' || fail "summary.csv"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert [r["observation"] for r in rows] == ["sim0/60001001002", "sim1/60001002002", "sim2/60001003002"], rows
for r in rows:
    assert r["status"] == "ok", r
    assert float(r["statistic"]) > 0 and int(r["dof"]) > 0, r
    assert r["report"].endswith("report.html"), r
PY

"$snakemake" -s "$repo/workflow/Snakefile" --directory "$work" --configfile "$work/config.yaml" \
  --cores 2 --dry-run > "$work/again.log" 2>&1 || { cat "$work/again.log" >&2; fail "second snakemake"; }
grep -q "Nothing to be done" "$work/again.log" || { cat "$work/again.log" >&2; fail "a rerun has work to do"; }
echo "workflow test: ok (3 observations, products and summary checked; workflow $((t1 - t0)) s)"
