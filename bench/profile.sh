#!/bin/bash
# Where tapegrad's benchmark workloads spend their time.
#
# Usage: bash bench/profile.sh perf|callgrind WORKLOAD[:CASE] ...
#   e.g. bash bench/profile.sh perf cnn_step conv:conv1 tiny_ops
#
# perf       perf record -e cpu-clock (this VM has no hardware cycle counter) on the
#            normal build, the workload's full protocol, the bench's thread count
#            (BENCH_THREADS, default 2). Prints self time per function, kernel and
#            OpenMP runtime included, with the set-up (random inputs and weights)
#            left out and the rest renormalised to 100%.
# callgrind  valgrind --tool=callgrind on a build without AVX-512 (valgrind 3.19
#            cannot decode it), one thread, 2 warm-up + 2 timed calls, counting
#            instructions only inside the timed region (tg::bench::measure).
#            Prints the top functions by exclusive and by inclusive instructions.
# Profiles and reports go to $PROFILE_DIR (default /tmp/tapegrad-profile).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${PROFILE_DIR:-/tmp/tapegrad-profile}
THREADS=${BENCH_THREADS:-2}
TOP=${TOP:-15}
# Functions that only build the inputs and weights before timing starts.
SETUP='Rng::|Tensor::randn|Tensor::uniform|init_weight|__sincos|__ieee754_log|__log_fma|sincos'

# Callers every timed call goes through, which say nothing about the workload.
WRAPPERS='PROGRAM TOTALS|__libc_start|below main|\?\?\?:main |\?\?\?:0x0|_Function_handler|bench::measure|bench::time_calls'
# Argument lists and folders out of callgrind's names.
SHORTEN='s/^( *[0-9,]+) \( *([0-9.]+%)\)/\1 \2/; s/\(anonymous namespace\)/anon/g; :a; s/\([^()]*\)//g; ta; s|\[/[^]]*/([^]/]+)\]|[\1]|'

usage() { echo "usage: bash bench/profile.sh perf|callgrind WORKLOAD[:CASE] ..." >&2; exit 2; }
[ $# -ge 2 ] || usage
tool=$1; shift
mkdir -p "$OUT"
cd "$ROOT"

case "$tool" in
  perf)
    bazel build //bench >/dev/null 2>&1 || { echo "profile: bazel build //bench failed" >&2; exit 1; }
    BENCH="$ROOT/bazel-bin/bench/bench"
    ;;
  callgrind)
    # A separate output folder and no convenience symlinks: the normal build stays as it is.
    flags=(--platform_suffix=noavx512 --copt=-mno-avx512f --symlink_prefix=/)
    bazel build "${flags[@]}" //bench >/dev/null 2>&1 || { echo "profile: the no-AVX-512 build failed" >&2; exit 1; }
    BENCH="$(bazel info "${flags[@]}" bazel-bin 2>/dev/null)/bench/bench"
    ;;
  *) usage ;;
esac

for spec in "$@"; do
  workload=${spec%%:*}
  case_filter=""
  [ "$spec" != "$workload" ] && case_filter=${spec#*:}
  name=$workload${case_filter:+-$case_filter}
  args=(--only "$workload")
  [ -n "$case_filter" ] && args+=(--case "$case_filter")
  echo "== $tool $name"
  if [ "$tool" = perf ]; then
    perf record -q -e cpu-clock -F 4000 -o "$OUT/$name.perf.data" \
      "$BENCH" "${args[@]}" --threads "$THREADS" > "$OUT/$name.perf.jsonl"
    perf report -i "$OUT/$name.perf.data" --no-children --stdio --sort dso,symbol \
      --percent-limit 0 2>/dev/null | grep -E '^ +[0-9.]+%' > "$OUT/$name.perf.txt" || true
    # Leave out the set-up, renormalise, drop C++ argument lists; then totals per library.
    grep -Ev "$SETUP" "$OUT/$name.perf.txt" | sed -E 's/\(anonymous namespace\)/anon/g' |
      sed -E ':a; s/\([^()]*\)//g; ta; s/( +-)+ *$//; s/ +$//' | awk -v top="$TOP" '
      { pct = $1; sub(/%/, "", pct); dso = $2; sub(/^ *[0-9.]+% +/, ""); sub(/\[[.k]\] +/, "")
        rows[NR] = $0; share[NR] = pct; by_dso[dso] += pct; total += pct }
      END { for (i = 1; i <= NR && i <= top; i++) printf "%6.1f%%  %s\n", 100 * share[i] / total, substr(rows[i], 1, 150)
            printf "by library:"; for (d in by_dso) if (by_dso[d] >= 0.005 * total) printf "  %s %.1f%%", d, 100 * by_dso[d] / total
            printf "\n(%.1f%% of all samples are outside the set-up)\n", total }'
  else
    valgrind --tool=callgrind --callgrind-out-file="$OUT/$name.callgrind.out" \
      --toggle-collect='tg::bench::measure*' \
      "$BENCH" "${args[@]}" --threads 1 --max-calls 2 > "$OUT/$name.callgrind.jsonl" 2> "$OUT/$name.valgrind.log"
    for inclusive in no yes; do
      echo "-- top $TOP by $([ $inclusive = yes ] && echo inclusive || echo exclusive) instructions"
      callgrind_annotate --inclusive=$inclusive --threshold=100 "$OUT/$name.callgrind.out" 2>/dev/null |
        grep -E '^ *[0-9,]+ \([ 0-9.]+%\)' | grep -Ev "$WRAPPERS" | sed -E "$SHORTEN" |
        head -n "$TOP" | cut -c1-170
    done
  fi
done
