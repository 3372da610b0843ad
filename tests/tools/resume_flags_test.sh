#!/usr/bin/env bash
# A run records every flag that affects its results, and `train --resume RUN`
# continues it from the folder alone (issue 13, findings 4, 5 and 6): a flag
# given with --resume that differs from the run's is refused naming the flag
# and both values, and the run is left as it was; --epochs may grow, and the
# continued run is then bit for bit the longer run; history.json records
# the flags; a checkpoint of the earlier format is refused with a message;
# every schedule (warm-up, step, cosine, plateau) resumes bit for bit.
set -uo pipefail

train="$PWD/$1"
old_checkpoint="$PWD/$2"
small_idx="$PWD/$3"
work="${TEST_TMPDIR:-/tmp}/resume_flags_test"
rm -rf "$work"
mkdir -p "$work/elsewhere"
cd "$work" || exit 1
failures=0

expect() {  # expect DESCRIPTION CONDITION...
  local description="$1"
  shift
  if "$@"; then echo "ok: $description"; else echo "FAILED: $description"; failures=$((failures + 1)); fi
}
contains() { grep -q -- "$2" "$1"; }
same_params() {  # same_params FOLDER FOLDER: every .npy byte for byte
  local file
  [[ -n "$(ls "$1/params/"*.npy 2>/dev/null)" ]] || return 1
  for file in "$1/params/"*.npy; do cmp -s "$file" "$2/params/$(basename "$file")" || return 1; done
}

# The data (the first 2000 Fashion-MNIST images: tests/support/small_idx.py) given
# relatively: the run must record where it is, and a resume from another
# folder must find it.
python3 "$small_idx" /usr/share/datasets/fashion-mnist data 2000 200 || exit 1
data_dir=$(realpath data)
run=(--data-dir data --model fc --hidden-dims 40,30 --keep-prob 0.8 --lr 2e-3 --lr-decay 0.7
     --reg 1e-4 --num-train 640 --num-val 100 --num-test 100 --seed 11 --batch-size 32
     --checkpoint-every 7)  # 20 iterations an epoch

"$train" "${run[@]}" --epochs 2 --out two-epochs >two-epochs.txt 2>&1
expect "the uninterrupted 2-epoch run exits 0" test $? -eq 0
"$train" "${run[@]}" --epochs 1 --out run >run.txt 2>&1
expect "a 1-epoch run exits 0" test $? -eq 0

# 6. history.json records the flags, the data folder made absolute.
for field in '"filters":32' '"filter-size":7' '"hidden":100' '"hidden-dims":\[40,30\]' \
  '"keep-prob":0.8' "\"data-dir\":\"$data_dir\"" '"checkpoint-every":7' '"lr-decay":0.7' \
  '"seed":11' '"no-batchnorm":false'; do
  expect "history.json records $field" contains run/history.json "$field"
done

# 4. Every flag that changes results is refused when it differs; the
# checkpoint and the history stay as they were.
cp run/checkpoint.tgck checkpoint.before
cp run/history.json history.before
refuse() {  # refuse FLAG [VALUE]: the message must name the flag, and both values as given next
  local expected="${*: -1}"
  "$train" --resume run "${@:1:$#-1}" >refused.txt 2>&1
  local status=$?
  expect "--resume with ${*:1:$#-1}: exit 2" test $status -eq 2
  expect "--resume with ${*:1:$#-1}: names the flag and both values" \
    contains refused.txt "train: $expected: a resumed run keeps"
}
refuse --lr 1e-2 "--lr 0.01 differs from this run's --lr 0.002"
refuse --reg 0 "--reg 0 differs from this run's --reg 0.0001"
refuse --lr-schedule cosine "--lr-schedule cosine differs from this run's --lr-schedule step"
refuse --lr-decay 0.8 "--lr-decay 0.8 differs from this run's --lr-decay 0.7"
refuse --num-val 101 "--num-val 101 differs from this run's --num-val 100"
refuse --keep-prob 0.9 "--keep-prob 0.9 differs from this run's --keep-prob 0.8"
refuse --seed 12 "--seed 12 differs from this run's --seed 11"
refuse --no-batchnorm "--no-batchnorm differs from this run, started without --no-batchnorm"
refuse --batch-size 64 "--batch-size 64 differs from this run's --batch-size 32"
refuse --optimizer sgd "--optimizer sgd differs from this run's --optimizer adam"
refuse --model cnn "--model cnn differs from this run's --model fc"
refuse --hidden-dims 40,31 "--hidden-dims 40,31 differs from this run's --hidden-dims 40,30"
refuse --num-train 600 "--num-train 600 differs from this run's --num-train 640"
refuse --num-test 90 "--num-test 90 differs from this run's --num-test 100"
refuse --data-dir . "--data-dir $(realpath .) differs from this run's --data-dir $data_dir"
refuse --data-dir /usr/share/datasets/fashion-mnist \
  "--data-dir /usr/share/datasets/fashion-mnist differs from this run's --data-dir $data_dir"
refuse --filters 8 "--filters 8 differs from this run's --filters 32"
refuse --data mnist "--data mnist differs from this run's --data fashion-mnist"
refuse --lr-schedule plateau "--lr-schedule plateau differs from this run's --lr-schedule step"
refuse --warmup-steps 5 "--warmup-steps 5 differs from this run's --warmup-steps 0"
refuse --min-lr 0.0001 "--min-lr 0.0001 differs from this run's --min-lr 0"
refuse --plateau-factor 0.1 "--plateau-factor 0.1 differs from this run's --plateau-factor 0.5"
refuse --plateau-patience 3 "--plateau-patience 3 differs from this run's --plateau-patience 2"
"$train" --resume run --epochs 0 >refused.txt 2>&1
expect "--resume with --epochs 0: exit 2" test $? -eq 2
expect "the refused resumes left the checkpoint as it was" cmp -s run/checkpoint.tgck checkpoint.before
expect "the refused resumes left history.json as it was" cmp -s run/history.json history.before
"$train" --resume run --overwrite >refused.txt 2>&1
expect "--resume with --overwrite: exit 2" test $? -eq 2
"$train" --resume run --out elsewhere >refused.txt 2>&1
expect "--resume with another --out: names both folders" \
  contains refused.txt "--out elsewhere: a resumed run stays in its folder run"

# 5. More epochs, with the run's flags given again: the 2-epoch run exactly.
cp -r run run-again
"$train" "${run[@]}" --epochs 2 --resume run-again >again-flags.txt 2>&1
expect "--resume --epochs 2 with the run's flags given again exits 0" test $? -eq 0
expect "--resume --epochs 2 with the run's flags: the 2-epoch run's losses and rates" \
  cmp -s run-again/history.csv two-epochs/history.csv
expect "--resume --epochs 2 with the run's flags: the 2-epoch run's parameters" \
  same_params run-again two-epochs

# 5. More epochs: from the folder alone (another working folder, the same
# values given again, other threads), the result is the 2-epoch run's.
(cd elsewhere && "$train" --resume ../run --epochs 2 --lr 0.002 --data-dir ../data --threads 1 \
  >../continued.txt 2>&1)
expect "--resume --epochs 2 from another folder exits 0" test $? -eq 0
expect "--resume --epochs 2: resumed at the end of epoch 1" \
  contains continued.txt "at iteration 20 (epoch 1)"
expect "--resume --epochs 2: epoch 2 starts with the decayed rate 0.0014" \
  test "$(sed -n 22p run/history.csv | cut -d, -f4)" = "0.0014"
expect "--resume --epochs 2: the losses and rates of the 2-epoch run" \
  cmp -s run/history.csv two-epochs/history.csv
expect "--resume --epochs 2: the parameters of the 2-epoch run, byte for byte" \
  same_params run two-epochs
"$train" --resume run --epochs 1 >refused.txt 2>&1
expect "--resume with fewer epochs: refused naming both" \
  contains refused.txt "--epochs 1 is fewer than this run's --epochs 2"
"$train" --resume run >again.txt 2>&1
expect "--resume of a finished run: exit 0, says it is done" \
  contains again.txt "the run has done its 2 epochs: give more --epochs to train on"

# A cosine run cannot grow: its schedule spans its epochs.
"$train" "${run[@]}" --lr-schedule cosine --epochs 1 --out cosine >cosine.txt 2>&1
"$train" --resume cosine --epochs 2 >refused.txt 2>&1
expect "--resume of a cosine run with more epochs: refused, says why" \
  contains refused.txt "this run's cosine schedule spans its 1 epochs"

# Per-step schedules (issue 21): history.csv's lr is every step's rate, and a
# run resumed mid warm-up, mid cosine or after a plateau cut ends with the
# uninterrupted run's bits.
wait_for_checkpoint() {  # the first one is written when training starts
  for _ in $(seq 1 3000); do [[ -f "$1/checkpoint.tgck" ]] && return; sleep 0.01; done
}
# uninterrupted FOLDER FLAGS...: the whole run; window_ms: its time from the first checkpoint.
uninterrupted() {
  local folder="$1" pid started
  shift
  "$train" "$@" --out "$folder" >"$folder.txt" 2>&1 &
  pid=$!
  wait_for_checkpoint "$folder"
  started=$(date +%s%3N)
  wait "$pid"
  expect "the uninterrupted run $folder exits 0" test $? -eq 0
  window_ms=$(($(date +%s%3N) - started))
}
# stopped FOLDER LOW HIGH FLAGS...: the run stopped by Ctrl-C at a fraction of
# window_ms, retried at another until it stops after step LOW and before
# HIGH; stopped_at: the step (0 if it never did).
stopped() {
  local folder="$1" low="$2" high="$3" percent pid delay_ms
  shift 3
  for percent in 30 15 45 8 60 4 25 35 20 10; do
    rm -rf "$folder"
    "$train" "$@" --out "$folder" >"$folder.txt" 2>&1 &
    pid=$!
    wait_for_checkpoint "$folder"
    delay_ms=$((window_ms * percent / 100))
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    kill -s INT "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    stopped_at=$(sed -n 's/^stopped at iteration \([0-9]*\);.*/\1/p' "$folder.txt")
    if [[ -n "$stopped_at" ]] && ((stopped_at > low && stopped_at < high)); then return; fi
  done
  stopped_at=0
}
# resumed_as FOLDER WHOLE WHAT: FOLDER resumed ends with WHOLE's losses, rates and parameters.
resumed_as() {
  "$train" --resume "$1" >"$1-resumed.txt" 2>&1
  expect "$3: the resumed run exits 0" test $? -eq 0
  expect "$3: the uninterrupted run's losses and rates" cmp -s "$1/history.csv" "$2/history.csv"
  expect "$3: the uninterrupted run's parameters" same_params "$1" "$2"
}

# Warm-up over 30 steps (1.5 epochs) before the step schedule, stopped mid warm-up.
warm=("${run[@]}" --warmup-steps 30 --epochs 2)
uninterrupted warm-two "${warm[@]}"
expect "--warmup-steps 30: steps 1..30 at lr (s + 1) / 30 of the step schedule's, then 0.0014" \
  python3 -c '
import csv, sys
rate = [float(r["lr"]) for r in csv.DictReader(open(sys.argv[1]))]
epoch_rate = lambda s: 2e-3 * 0.7 ** (s // 20)
ramp = all(rate[s] == epoch_rate(s) * (s + 1) / 30 for s in range(30))
sys.exit(0 if ramp and rate[0] == 2e-3 / 30 and rate[30:] == [0.0014] * 10 else 1)' \
  warm-two/history.csv
stopped warm 0 30 "${warm[@]}"
expect "Ctrl-C stopped the run mid warm-up (step $stopped_at of 30)" test "$stopped_at" -gt 0
resumed_as warm warm-two "resumed mid warm-up"

# Cosine after a warm-up of 5 steps, stopped mid cosine.
cosine=("${run[@]}" --lr-schedule cosine --warmup-steps 5 --min-lr 1e-4 --epochs 3)
uninterrupted cosine-three "${cosine[@]}"
stopped cosine-stopped 5 60 "${cosine[@]}"
expect "Ctrl-C stopped the run mid cosine (step $stopped_at of 60)" test "$stopped_at" -gt 0
resumed_as cosine-stopped cosine-three "resumed mid cosine"

# Plateau with patience 1 on 20 validation images: epoch 2 is no better than
# epoch 1, so epoch 3 trains at half the rate. The 2-epoch run's checkpoint
# holds the cut; continued to 4 epochs it is the 4-epoch run.
plateau=("${run[@]}" --num-val 20 --lr 0.01 --lr-schedule plateau --plateau-patience 1)
uninterrupted plateau-four "${plateau[@]}" --epochs 4
expect "plateau: epoch 3 starts at the cut rate 0.005" \
  test "$(sed -n 42p plateau-four/history.csv | cut -d, -f4)" = "0.005"
"$train" "${plateau[@]}" --epochs 2 --out plateau >plateau.txt 2>&1
expect "plateau: epoch 2 ends at the uncut rate 0.01" \
  test "$(sed -n 41p plateau/history.csv | cut -d, -f4)" = "0.01"
"$train" --resume plateau --epochs 4 >plateau-resumed.txt 2>&1
expect "resumed after a plateau cut: exit 0" test $? -eq 0
expect "resumed after a plateau cut: the 4-epoch run's losses and rates" \
  cmp -s plateau/history.csv plateau-four/history.csv
expect "resumed after a plateau cut: the 4-epoch run's parameters" same_params plateau plateau-four

# After a divergence, the run cannot be resumed with another --lr (it took a
# step at the old rate before); the guard may be changed.
"$train" --data-dir data --model fc --lr 1000 --num-train 320 --num-val 64 --num-test 64 --epochs 1 \
  --out diverged \
  >diverged.txt 2>&1
expect "a diverging run stops with exit 1" test $? -eq 1
"$train" --resume diverged --lr 1e-3 >refused.txt 2>&1
expect "resuming a diverged run with another --lr: refused" contains refused.txt "--lr 0.001 differs from this run's --lr 1000"

# A checkpoint of the earlier format (no recorded flags): refused, saying why.
mkdir old-run
cp "$old_checkpoint" old-run/checkpoint.tgck
"$train" --resume old-run >old.txt 2>&1
expect "an earlier-format checkpoint: exit 1" test $? -eq 1
expect "an earlier-format checkpoint: says so and what to do" \
  contains old.txt "a checkpoint of an earlier tapegrad (solver state version 1), which did not record the run's settings.*start the run again"

if [[ $failures -ne 0 ]]; then
  echo "$failures checks failed; outputs in $work"
  for f in "$work"/*.txt; do echo "== $f"; tail -4 "$f"; done
  exit 1
fi
echo "all checks passed"
