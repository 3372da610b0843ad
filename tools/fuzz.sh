#!/usr/bin/env bash
# Fuzzes tapegrad's file readers with libFuzzer, under AddressSanitizer and
# UndefinedBehaviorSanitizer.
#
# Usage: tools/fuzz.sh SECONDS [TARGET...]
#   SECONDS  how long each target fuzzes; targets run one after another, one
#            job each
#   TARGET   idx, cifar10, checkpoint, npy, model or image (default: all);
#            the code is tests/fuzz/TARGET_fuzz.cc, its seeds
#            tests/fuzz/corpus/TARGET/
#
# Builds the targets with clang++ straight from the readers' sources, into
# $TAPEGRAD_FUZZ_HOME (default ~/.cache/tapegrad-fuzz), which also keeps the
# corpus each target grows and its log: nothing is written to the repository
# unless a reader fails. Then the input that made it crash, hang, leak or run
# out of memory is copied (minimised, for a crash) to
# tests/fuzz/corpus/TARGET/ under libFuzzer's name (crash-<sha1>, ...), where
# the ordinary test suite replays it (//tests/fuzz:fuzz_corpus_test); the script
# fuzzes the remaining targets, prints a summary and exits 1.
# Exit 0: nothing found. Exit 2: bad usage or a missing tool.
#
# Needs clang 14 and its libFuzzer runtime (not in tools/setup.sh: CI does not
# fuzz): apt-get install -y clang-14 libclang-rt-14-dev
set -euo pipefail
shopt -s inherit_errexit

readonly all_targets=(idx cifar10 checkpoint npy model image)
# The longest input each target gets: a few records or entries is enough.
declare -A max_len=([idx]=4096 [cifar10]=8192 [checkpoint]=4096 [npy]=2048 [model]=4096
                    [image]=4096)
# The folders the readers live in, or reach (a model file builds its model,
# whose code calls the ops); every .cc of them is compiled.
readonly source_folders=(graph io ops models data)
readonly install_command="apt-get update && apt-get install -y clang-14 libclang-rt-14-dev  (as root)"

usage() {
  sed -n '2,/^set -e/{/^#/s/^# \{0,1\}//p}' "$0" >&2
  exit 2
}

say() { echo "fuzz: $*"; }

[[ $# -ge 1 && $1 =~ ^[1-9][0-9]*$ ]] || usage
seconds=$1
shift
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")
for target in "${targets[@]}"; do
  [[ -n ${max_len[$target]:-} ]] || { echo "fuzz: unknown target '$target'" >&2; usage; }
done

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
home=${TAPEGRAD_FUZZ_HOME:-$HOME/.cache/tapegrad-fuzz}
mkdir -p "$home"

# --- the compiler and the fuzzer runtime -------------------------------------

cxx=$(command -v clang++-14 || command -v clang++ || true)
if [[ -z $cxx ]]; then
  echo "fuzz: clang++ is not installed; install it and libFuzzer with:" >&2
  echo "  $install_command" >&2
  exit 2
fi
flags=(-std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -fno-omit-frame-pointer -fopenmp -Wall -Wextra -I"$repo" -I/usr/include/eigen3)
libraries=(-lfmt -lz -lpng16)

probe="$home/probe"
mkdir -p "$probe"
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' \
  >"$probe/probe.cc"
if ! "$cxx" "${flags[@]}" "$probe/probe.cc" -o "$probe/probe" 2>"$probe/error.txt"; then
  echo "fuzz: $cxx cannot link a libFuzzer target:" >&2
  sed 's/^/  /' "$probe/error.txt" >&2
  echo "fuzz: install the fuzzer runtime with:  $install_command" >&2
  exit 2
fi

# --- building ----------------------------------------------------------------

objects="$home/obj"
bin="$home/bin"
# Objects built with other flags or another compiler are thrown away.
build_id="$("$cxx" --version | head -n 1) ${flags[*]} ${libraries[*]}"
if [[ ! -f $objects/build-id || $(<"$objects/build-id") != "$build_id" ]]; then
  rm -rf "$objects"
fi
mkdir -p "$objects" "$bin"
echo "$build_id" >"$objects/build-id"

# Compiles repo-relative source $1 unless its object is newer than it and
# than every header it could include; prints the object's path.
compile() {
  local source=$1 object="$objects/${1//\//_}.o"
  if [[ ! -f $object || $repo/$source -nt $object ||
        -n $(find "${source_folders[@]/#/$repo/}" "$repo/tests" -name '*.h' -newer "$object" \
               -print -quit) ]]; then
    say "compiling $source" >&2
    "$cxx" "${flags[@]}" -c "$repo/$source" -o "$object.tmp"
    mv "$object.tmp" "$object"
  fi
  echo "$object"
}

reader_sources=(tests/fuzz/fuzz_one_input.cc)
for folder in "${source_folders[@]}"; do
  while IFS= read -r source; do reader_sources+=("${source#"$repo"/}"); done \
    < <(find "$repo/$folder" -maxdepth 1 -name '*.cc' | sort)
done
reader_objects=()
for source in "${reader_sources[@]}"; do reader_objects+=("$(compile "$source")"); done
for target in "${targets[@]}"; do
  target_object=$(compile "tests/fuzz/${target}_fuzz.cc")
  "$cxx" "${flags[@]}" "$target_object" "${reader_objects[@]}" "${libraries[@]}" \
    -o "$bin/${target}_fuzz"
done
say "built ${targets[*]} in $bin"

# --- fuzzing -----------------------------------------------------------------

# The number of inputs a libFuzzer log says were run.
executions_in() {
  local count
  count=$(sed -n 's/^stat::number_of_executed_units: *//p' "$1" | tail -n 1)
  [[ -n $count ]] || count=$(grep -a -o '^#[0-9]*' "$1" | tail -n 1 | tr -d '#')
  echo "${count:-0}"
}

# What went wrong, in one line, from a libFuzzer log: the most telling line.
finding_in() {
  local pattern line
  for pattern in 'runtime error:' 'ERROR: (AddressSanitizer|LeakSanitizer)' 'what\(\):' \
                 'ERROR: libFuzzer'; do
    line=$(grep -a -m 1 -E "$pattern" "$1" || true)
    if [[ -n $line ]]; then
      echo "${line#==*== }" | sed 's/^ *//'
      return
    fi
  done
  echo "(see $1)"
}

# Copies a finding into the regression corpus, a crash minimised first
# (libFuzzer names a file after the SHA-1 of its bytes).
keep_finding() {
  local target=$1 artifact=$2 kept=$2 name
  name=$(basename "$artifact")
  if [[ $name == crash-* ]]; then
    local minimised="$home/artifacts/$target.minimised"
    rm -f "$minimised"
    say "minimising $name" >&2
    "$bin/${target}_fuzz" -minimize_crash=1 -max_total_time=60 -timeout=10 -rss_limit_mb=2048 \
      -exact_artifact_path="$minimised" "$artifact" >"$home/logs/$target.minimise.log" 2>&1 || true
    if [[ -s $minimised && $(stat -c %s "$minimised") -lt $(stat -c %s "$artifact") ]]; then
      kept=$minimised
      name="crash-$(sha1sum "$minimised" | cut -d ' ' -f 1)"
    fi
  fi
  cp "$kept" "$repo/tests/fuzz/corpus/$target/$name"
  echo "tests/fuzz/corpus/$target/$name"
}

mkdir -p "$home/logs"
summary=()
total_findings=0
for target in "${targets[@]}"; do
  corpus="$home/corpus/$target"
  artifacts="$home/artifacts/$target"
  log="$home/logs/$target.log"
  rm -rf "$artifacts"
  mkdir -p "$corpus" "$artifacts"
  dictionary=()
  [[ -f $repo/tests/fuzz/$target.dict ]] && dictionary=(-dict="$repo/tests/fuzz/$target.dict")

  say "$target: fuzzing for $seconds s (log: $log)"
  status=0
  # New inputs go to the first folder; the seeds and old findings are read too.
  "$bin/${target}_fuzz" -max_len="${max_len[$target]}" -rss_limit_mb=2048 -timeout=10 \
    -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "${dictionary[@]}" "$corpus" "$repo/tests/fuzz/corpus/$target" >"$log" 2>&1 || status=$?

  executions=$(executions_in "$log")
  findings=0
  for artifact in "$artifacts"/{crash,timeout,oom,leak}-*; do
    [[ -f $artifact ]] || continue
    findings=$((findings + 1))
    say "$target: FINDING: $(finding_in "$log")"
    say "$target: kept as $(keep_finding "$target" "$artifact")"
  done
  if [[ $status -ne 0 && $findings -eq 0 ]]; then
    say "$target: libFuzzer exited with status $status but left no input; see $log"
    findings=1
  fi
  total_findings=$((total_findings + findings))
  summary+=("$(printf '%-11s %12s executions  %d findings' "$target" "$executions" "$findings")")
done

say "summary ($seconds s per target):"
for line in "${summary[@]}"; do say "  $line"; done
if [[ $total_findings -gt 0 ]]; then
  say "$total_findings findings: fix the reader, then run bazel test //tests/fuzz:fuzz_corpus_test"
  exit 1
fi
say "no findings"
