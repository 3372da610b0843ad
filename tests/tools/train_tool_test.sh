#!/usr/bin/env bash
# tools/train end to end on the real Fashion-MNIST files (installed by
# tools/setup.sh): flags, clear errors in plain words (exit 2 for a bad
# command line, 1 for the rest), limits checked before anything is
# allocated or a run folder is made (issue 13, finding 9), the divergence
# guard, a small run that leaves a complete run folder, and a resume of it.
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
expect "cifar10 without --data-dir exits 2" test $? -eq 2
expect "cifar10 without --data-dir says so" contains "$work/no_dir.txt" "needs --data-dir"

"$train" --data-dir "$work/nowhere" >"$work/missing.txt" 2>&1
expect "a missing data folder exits 1" test $? -eq 1
expect "a missing data folder is named" contains "$work/missing.txt" "$work/nowhere"

# Plain words, and nothing left behind (no run folder, in runs/ or at --out).
cd "$work" || exit 1
refused() {  # refused NAME EXPECTED-MESSAGE FLAGS...: exit 2, the message, no folder
  local name="$1" message="$2"
  shift 2
  "$train" --num-train 640 --num-val 100 --num-test 100 --out "$work/$name" "$@" >"$work/$name.txt" 2>&1
  local status=$?
  expect "$name: exit 2" test $status -eq 2
  expect "$name: says '$message'" contains "$work/$name.txt" "^train: $message"
  expect "$name: no run folder left" test ! -e "$work/$name" -a ! -e "$work/runs"
}
# An empty folder (an unset shell variable) is refused, not read as no flag.
refused empty_resume "--resume: must name a folder, got an empty string" --resume ''
"$train" --num-train 640 --num-val 100 --num-test 100 --out '' >"$work/empty_out.txt" 2>&1
expect "--out '': exit 2" test $? -eq 2
expect "--out '': says so" contains "$work/empty_out.txt" "^train: --out: must name a folder, got an empty string"
expect "--out '': no run folder left" test ! -e "$work/runs"
refused epochs_overflow "--epochs must be a whole number from 1 to 100000000, got 2635249153387078803" \
  --epochs 2635249153387078803
refused too_many_iterations "--epochs 99999999 of 10 iterations each is more than 100000000 iterations, the most a run may have; give at most --epochs 10000000" \
  --epochs 99999999
refused huge_batch "this run needs about .* GiB of memory (.*), more than this machine's .* GiB: give a smaller --batch-size" \
  --batch-size 1000000000000
refused huge_hidden_dims "this run needs about .* more than this machine's .* GiB: give a smaller --hidden-dims" \
  --model fc --hidden-dims 100000000,100000000
refused lr_zero "--lr must be a positive finite number, got 0" --lr 0
refused lr_text "--lr must be a positive finite number, got abc" --lr abc
refused lr_decay_range "--lr-decay must be a number above 0 and at most 1, got 2" --lr-decay 2
refused num_val_too_big "--num-val 70000 leaves no training images: Fashion-MNIST has 60000" --num-val 70000
refused fc_batch_one "--batch-size 1 with batch norm: batch statistics need more than one example" \
  --model fc --batch-size 1
refused hidden_dims_zero "--hidden-dims must be positive whole numbers separated by commas, got 64,0" \
  --model fc --hidden-dims 64,0
refused unknown_model "--model must be one of cnn, fc, lstm, charlm; got rnn" --model rnn
expect "no 309-digit range in any message" test "$(cat "$work"/*.txt | grep -c 1797693)" -eq 0
cd - >/dev/null || exit 1

# The divergence guard: a loss 100 times the first stops the run (exit 1);
# --divergence-factor 0 lets it run on.
diverging=(--model fc --lr 1000 --num-train 320 --num-val 64 --num-test 64 --epochs 1)
"$train" "${diverging[@]}" --out "$work/diverged" >"$work/diverged.txt" 2>&1
expect "a diverging run (fc, batch norm, --lr 1000) stops: exit 1" test $? -eq 1
expect "a diverging run says so and names the guard" \
  contains "$work/diverged.txt" "training diverged at iteration .*: the loss .* is more than 100 times the first iteration's loss"
"$train" "${diverging[@]}" --divergence-factor 0 --out "$work/unguarded" >"$work/unguarded.txt" 2>&1
expect "--divergence-factor 0: the same run goes to the end" test $? -eq 0

small=(--num-train 640 --num-val 128 --filters 4 --hidden 16 --out "$work/run")  # batch 64: 10 iterations per epoch
"$train" "${small[@]}" --epochs 1 >"$work/run.txt" 2>&1
status=$?
expect "a small run exits 0" test $status -eq 0
expect "a small run reports the test accuracy" contains "$work/run.txt" "test accuracy"
expect "a small run reports its epoch" contains "$work/run.txt" "epoch 1/1: train acc"
for file in curves.svg history.csv epochs.csv history.json checkpoint.tgck params/conv1.weight.npy; do
  expect "the run folder has $file" test -s "$work/run/$file"
done
expect "history.json has the test accuracy" contains "$work/run/history.json" '"test_acc"'

"$train" "${small[@]}" --epochs 2 --resume "$work/run" >"$work/resume.txt" 2>&1
expect "a resumed run exits 0" test $? -eq 0
expect "a resumed run starts at iteration 10" contains "$work/resume.txt" "at iteration 10 (epoch 1)"
expect "a resumed run trains epoch 2" contains "$work/resume.txt" "epoch 2/2: train acc"

"$train" "${small[@]}" --epochs 2 --batch-size 32 --resume "$work/run" >"$work/resume_bad.txt" 2>&1
expect "resuming with another batch size exits 2" test $? -eq 2
expect "resuming with another batch size says why" \
  contains "$work/resume_bad.txt" "--batch-size 32 differs from this run's --batch-size 64"

if [[ $failures -ne 0 ]]; then
  echo "$failures checks failed; outputs in $work"
  for f in "$work"/*.txt; do echo "== $f"; tail -5 "$f"; done
  exit 1
fi
echo "all checks passed"
