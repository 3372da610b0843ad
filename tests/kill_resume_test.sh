#!/usr/bin/env bash
# No lost work: tools/train is killed with SIGKILL at random moments, at least
# 20 times. Each time the run folder must still hold a valid checkpoint, and
# resuming from it must end with exactly (byte for byte) the parameters of an
# uninterrupted run.
set -uo pipefail

train="$PWD/$1"
work="${TEST_TMPDIR:-/tmp}/kill_resume_test"
rm -rf "$work"
mkdir -p "$work"
RANDOM=20261121  # reproducible kill times

run=(--num-train 1600 --num-val 200 --num-test 200 --filters 8 --hidden 32 --epochs 3
     --checkpoint-every 7 --threads 2 --seed 3)  # 25 iterations per epoch

# Waits (up to 30 s) until the run folder $1 holds its first checkpoint,
# which tools/train writes when training starts.
wait_for_checkpoint() {
  for _ in $(seq 1 3000); do
    [[ -f "$1/checkpoint.tgck" ]] && return
    sleep 0.01
  done
}

now_ms() { date +%s%3N; }

# The uninterrupted run, timed from its first checkpoint to its end: kills
# land at random moments of that window (narrowed whenever a run finishes
# first), so nearly every attempt is a trial however fast this machine trains.
"$train" "${run[@]}" --out "$work/reference" >"$work/reference.txt" 2>&1 &
pid=$!
wait_for_checkpoint "$work/reference"
started=$(now_ms)
if ! wait "$pid"; then
  echo "the uninterrupted run failed:"; cat "$work/reference.txt"; exit 1
fi
window_ms=$(($(now_ms) - started))
echo "the uninterrupted run trains for ${window_ms} ms after its first checkpoint"

kills=0
attempts=0
failures=0
while [[ $kills -lt 20 && $attempts -lt 60 ]]; do
  attempts=$((attempts + 1))
  folder="$work/trial"
  rm -rf "$folder"
  "$train" "${run[@]}" --out "$folder" >"$work/killed.txt" 2>&1 &
  pid=$!
  wait_for_checkpoint "$folder"
  delay_ms=$((RANDOM * window_ms / 32768))
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  if ! kill -9 "$pid" 2>/dev/null; then
    wait "$pid"
    # It finished before the kill: not a trial. It trained for less than
    # delay_ms (the reference may have been slowed by tests running beside
    # it), so later kills come within that.
    window_ms=$((delay_ms > 1 ? delay_ms : 1))
    continue
  fi
  wait "$pid" 2>/dev/null
  kills=$((kills + 1))
  if "$train" "${run[@]}" --out "$folder" --resume "$folder" >"$work/resumed.txt" 2>&1; then
    resumed_at=$(grep -o "at iteration [0-9]*" "$work/resumed.txt")
    same=yes
    for reference in "$work/reference/params/"*.npy; do
      cmp -s "$reference" "$folder/params/$(basename "$reference")" || same=no
    done
    if [[ $same == yes ]]; then
      echo "kill $kills: resumed ${resumed_at:-?}, final parameters identical"
    else
      echo "kill $kills: resumed ${resumed_at:-?}, final parameters DIFFER"; failures=$((failures + 1))
    fi
  else
    echo "kill $kills: resuming failed:"; tail -3 "$work/resumed.txt"; failures=$((failures + 1))
  fi
done

echo "$kills kills in $attempts attempts, $failures failures"
[[ $kills -ge 20 && $failures -eq 0 ]]
