#!/usr/bin/env bash
# No lost work: tools/train is stopped at random moments, 20 times with
# SIGKILL and 5 times with SIGINT (Ctrl-C). Each time the run folder must
# still hold a valid checkpoint, its history files must claim no more than
# the checkpoint holds, and `train --resume FOLDER` (no other flag; most
# times with another --threads than the run's 2) must end with exactly
# (byte for byte) the parameters of an uninterrupted run. The run trains on
# the first 2000 Fashion-MNIST images (tests/support/small_idx.py), so that the time
# goes to training and stopping, not to loading.
set -uo pipefail

train="$PWD/$1"
work="${TEST_TMPDIR:-/tmp}/kill_resume_test"
rm -rf "$work"
mkdir -p "$work"
python3 "$2" /usr/share/datasets/fashion-mnist "$work/data" 1100 100 || exit 1
RANDOM=20261121  # reproducible kill times

run=(--data-dir "$work/data" --num-train 960 --num-val 100 --num-test 100 --batch-size 48
     --filters 4 --hidden 16 --epochs 3 --checkpoint-every 7 --threads 2 --seed 3)  # 20 iterations an epoch
resume_threads=(1 3 2 3)  # the threads of each resume, in turn

# Waits (up to 30 s) until the run folder $1 holds its first checkpoint,
# which tools/train writes when training starts.
wait_for_checkpoint() {
  for _ in $(seq 1 3000); do
    [[ -f "$1/checkpoint.tgck" ]] && return
    sleep 0.01
  done
}

now_ms() { date +%s%3N; }
data_lines() { if [[ -f "$1" ]]; then echo $(($(wc -l <"$1") - 1)); else echo 0; fi; }

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
stops=0
attempts=0
failures=0
while (((kills < 20 || stops < 5) && attempts < 75)); do
  attempts=$((attempts + 1))
  # Every fifth trial is a Ctrl-C, until there were 5.
  if ((stops < 5 && ((kills + stops) % 5 == 4 || kills >= 20))); then
    signal=INT
  else
    signal=KILL
  fi
  folder="$work/trial"
  rm -rf "$folder"
  "$train" "${run[@]}" --out "$folder" >"$work/stopped.txt" 2>&1 &
  pid=$!
  wait_for_checkpoint "$folder"
  delay_ms=$((RANDOM * window_ms / 32768))
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  if ! kill -s "$signal" "$pid" 2>/dev/null; then
    wait "$pid"
    # It finished before the signal: not a trial. It trained for less than
    # delay_ms (the reference may have been slowed by tests running beside
    # it), so later signals come within that.
    window_ms=$((delay_ms > 1 ? delay_ms : 1))
    continue
  fi
  wait "$pid" 2>/dev/null
  status=$?
  trial="kill $((kills + 1))"
  if [[ $signal == INT ]]; then
    if [[ $status -eq 0 ]]; then  # it was past training: not a trial
      window_ms=$((delay_ms > 1 ? delay_ms : 1))
      continue
    fi
    stops=$((stops + 1))
    trial="Ctrl-C $stops"
    stopped_at=$(sed -n 's/^stopped at iteration \([0-9]*\); continue with: train --resume .*$/\1/p' \
      "$work/stopped.txt")
    if [[ $status -ne 130 || -z $stopped_at ]]; then
      echo "$trial: exit $status without 'stopped at iteration N; continue with ...':"
      tail -3 "$work/stopped.txt"; failures=$((failures + 1)); continue
    fi
  else
    kills=$((kills + 1))
  fi
  history_lines=$(data_lines "$folder/history.csv")
  threads=${resume_threads[$(((kills + stops) % ${#resume_threads[@]}))]}
  if "$train" --resume "$folder" --threads "$threads" >"$work/resumed.txt" 2>&1; then
    resumed_at=$(sed -n 's/^resumed from .* at iteration \([0-9]*\) .*$/\1/p' "$work/resumed.txt")
    same=yes
    for reference in "$work/reference/params/"*.npy; do
      cmp -s "$reference" "$folder/params/$(basename "$reference")" || same=no
    done
    claims="history.csv had $history_lines iterations"
    if [[ -z $resumed_at || $history_lines -gt $resumed_at ]]; then
      echo "$trial: resumed at ${resumed_at:-?} but $claims: MORE than the checkpoint"
      failures=$((failures + 1))
    elif [[ $signal == INT && $resumed_at -ne $stopped_at ]]; then
      echo "$trial: stopped at $stopped_at but resumed at $resumed_at"; failures=$((failures + 1))
    elif [[ $same == yes ]]; then
      echo "$trial: resumed at iteration $resumed_at ($claims) with $threads threads, final parameters identical"
    else
      echo "$trial: resumed at iteration $resumed_at with $threads threads, final parameters DIFFER"
      failures=$((failures + 1))
    fi
  else
    echo "$trial: resuming failed:"; tail -3 "$work/resumed.txt"; failures=$((failures + 1))
  fi
done

echo "$kills kills and $stops Ctrl-C stops in $attempts attempts, $failures failures"
((kills >= 20 && stops >= 5 && failures == 0))
