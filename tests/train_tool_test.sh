#!/usr/bin/env bash
# tools/train end to end on the real Fashion-MNIST files (installed by
# tools/setup.sh): flags, clear errors with non-zero exits, a small run that
# leaves a complete run folder, and a resume of it.
set -uo pipefail

train="$PWD/$1"
work="${TEST_TMPDIR:-/tmp}/train_tool_test"
rm -rf "$work"
mkdir -p "$work"
failures=0

expect() {  # expect DESCRIPTION CONDITION...
  local description="$1"
  shift
  if "$@"; then echo "ok: $description"; else echo "FAILED: $description"; failures=$((failures + 1)); fi
}

contains() { grep -q -- "$2" "$1"; }

"$train" --help >"$work/help.txt" 2>&1
expect "--help exits 0" test $? -eq 0
expect "--help lists --epochs and --resume" contains "$work/help.txt" "--resume"

"$train" --epochs 0 >"$work/bad_epochs.txt" 2>&1
expect "--epochs 0 exits non-zero" test $? -ne 0
expect "--epochs 0 names the flag" contains "$work/bad_epochs.txt" "epochs"

"$train" --optimizer adagrad >"$work/bad_rule.txt" 2>&1
expect "an unknown optimizer exits non-zero" test $? -ne 0
expect "an unknown optimizer is named" contains "$work/bad_rule.txt" "adagrad"

"$train" --data cifar10 >"$work/no_dir.txt" 2>&1
expect "cifar10 without --data-dir exits 1" test $? -eq 1
expect "cifar10 without --data-dir says so" contains "$work/no_dir.txt" "needs --data-dir"

"$train" --data-dir "$work/nowhere" >"$work/missing.txt" 2>&1
expect "a missing data folder exits 1" test $? -eq 1
expect "a missing data folder is named" contains "$work/missing.txt" "$work/nowhere"

small=(--num-train 640 --num-val 128 --filters 4 --hidden 16 --out "$work/run")  # batch 64: 10 iterations per epoch
"$train" "${small[@]}" --epochs 1 >"$work/run.txt" 2>&1
status=$?
expect "a small run exits 0" test $status -eq 0
expect "a small run reports the test accuracy" contains "$work/run.txt" "test accuracy"
expect "a small run reports its epoch" contains "$work/run.txt" "epoch 1/1: train acc"
for file in curves.svg history.csv epochs.csv history.json checkpoint.tgck params/W1.npy; do
  expect "the run folder has $file" test -s "$work/run/$file"
done
expect "history.json has the test accuracy" contains "$work/run/history.json" '"test_acc"'

"$train" "${small[@]}" --epochs 2 --resume "$work/run" >"$work/resume.txt" 2>&1
expect "a resumed run exits 0" test $? -eq 0
expect "a resumed run starts at iteration 10" contains "$work/resume.txt" "at iteration 10 (epoch 1)"
expect "a resumed run trains epoch 2" contains "$work/resume.txt" "epoch 2/2: train acc"

"$train" "${small[@]}" --epochs 2 --batch-size 32 --resume "$work/run" >"$work/resume_bad.txt" 2>&1
expect "resuming with another batch size exits 1" test $? -eq 1
expect "resuming with another batch size says why" contains "$work/resume_bad.txt" "batch_size"

if [[ $failures -ne 0 ]]; then
  echo "$failures checks failed; outputs in $work"
  for f in "$work"/*.txt; do echo "== $f"; tail -5 "$f"; done
  exit 1
fi
echo "all checks passed"
