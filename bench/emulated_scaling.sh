#!/usr/bin/env bash
# dp_step and dp_allreduce on emulated hosts (tools/emulated_hosts.sh, issue
# 25 part 5): for every K and link rate, one host per process, bench's records
# kept in OUT/k<K>-<rate>.jsonl and the bytes each host link carried during
# that bench run (all its workloads together) in OUT/k<K>-<rate>.bytes; then
# one table of the medians. Needs root, and bazel-bin/bench/bench built
# (bazel build //tools:bench).
#   bench/emulated_scaling.sh [--hosts "2 4"] [--rates "1gbit 10gbit"]
#       [--qdisc tbf|htb] [--out DIR] [--bench PATH] [-- BENCH_ARGS...]
# BENCH_ARGS replace the default "--only dp_step,dp_allreduce --threads 1".
# On a 2-core machine K = 4 is oversubscribed: its times are not scaling
# figures. The links cannot be faster than the machine's veth path (about
# 5-7 Gbit/s for one TCP stream here, loaded), so a 10gbit limit may not bind.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
hosts_list="2 4" rates="1gbit 10gbit" qdisc=tbf out="" bench=bazel-bin/bench/bench
# shellcheck disable=SC2054  # the comma is bench's list
bench_args=(--only dp_step,dp_allreduce --threads 1)
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
while (($#)); do
  case $1 in
    --hosts) hosts_list=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    --qdisc) qdisc=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --bench) bench=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; (($#)) && bench_args=("$@"); break ;;
    *) echo "emulated_scaling.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ -x "$bench" ]] || { echo "emulated_scaling.sh: $bench not found (bazel build //tools:bench)" >&2; exit 1; }
bench=$(realpath "$bench")
out=${out:-runs/emulated-scaling-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"

for k in $hosts_list; do
  for rate in $rates; do
    name="k$k-$rate"
    echo "== K = $k, links $rate ($qdisc)" >&2
    "$root/tools/emulated_hosts.sh" --hosts "$k" --rate "$rate" --qdisc "$qdisc" --bytes "$out/$name.bytes" \
      -- "$bench" "${bench_args[@]}" >"$out/$name.jsonl"
  done
done

python3 - "$out" <<'PY'
import glob, json, os, sys
out = sys.argv[1]
print(f"{'K':>2} {'rate':>7} {'workload':<13} {'overlap':<7} {'median_ms':>9} {'min_ms':>8}"
      f" {'other_cpu%':>10} {'link MB sent/host (whole run)':>30}")
units = {"bit": 1, "kbit": 1e3, "mbit": 1e6, "gbit": 1e9}
def bits(rate):  # "10gbit" -> 1e10, for the order of the rows ("none" last)
    for unit in sorted(units, key=len, reverse=True):
        if rate.endswith(unit) and rate[:-len(unit)].isdigit():
            return int(rate[:-len(unit)]) * units[unit]
    return float("inf")
runs = []
for path in glob.glob(os.path.join(out, "k*-*.jsonl")):
    name = os.path.basename(path)[:-len(".jsonl")]
    k, rate = name[1:].split("-", 1)
    runs.append((int(k), bits(rate), path, name, k, rate))
for *_, path, name, k, rate in sorted(runs):
    rows = [line.split() for line in open(os.path.join(out, name + ".bytes"))][1:]
    sent = sum(int(r[2]) for r in rows) / len(rows) / 1e6
    for line in open(path):
        r = json.loads(line)
        if "median_ms" not in r:
            continue
        overlap = {True: "on", False: "off"}.get(r.get("overlap"), "-")
        print(f"{k:>2} {rate:>7} {r['workload']:<13} {overlap:<7} {r['median_ms']:>9.2f}"
              f" {r['min_ms']:>8.2f} {r.get('other_cpu_pct', float('nan')):>10.1f} {sent:>30.1f}")
PY
echo "records and bytes per host: $out" >&2
