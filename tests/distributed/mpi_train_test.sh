#!/usr/bin/env bash
# tools/train under mpirun (data parallelism over Open MPI, distributed/):
# - `mpirun -np 1` gives the single-process run's parameters, byte for byte;
# - two runs with 2 processes give byte-identical parameters, and the run
#   records its 2 processes;
# - a global batch not divisible by the processes is refused;
# - a process whose parameters drift (TAPEGRAD_TEST_PERTURB_RANK) stops the
#   run at the end of the epoch, naming its rank;
# - a process killed with SIGKILL stops the others within seconds (mpirun
#   names the lost rank), the run folder keeps a valid checkpoint, and
#   `mpirun -np 2 train --resume RUN` ends with exactly the parameters of the
#   uninterrupted run; so does a run stopped by SIGINT to rank 1 alone.
set -uo pipefail
train="$PWD/$1"
source "$3"
work="${TEST_TMPDIR:-/tmp}/mpi_train_test"
rm -rf "$work" && mkdir -p "$work"
python3 "$2" /usr/share/datasets/fashion-mnist "$work/data" 600 100 || exit 1
run=(--data-dir "$work/data" --num-train 480 --num-val 100 --num-test 100 --filters 4 --hidden 16
     --batch-size 16 --threads 1 --seed 3)
fail() { echo "FAIL: $*"; exit 1; }

# Every parameter file of two run folders, byte for byte.
same_parameters() {
  local f
  for f in "$1"/params/*.npy; do
    cmp -s "$f" "$2/params/$(basename "$f")" || return 1
  done
  cmp -s "$1/model.tgm" "$2/model.tgm"
}

"$train" "${run[@]}" --epochs 2 --out "$work/single" >"$work/single.txt" 2>&1 ||
  { cat "$work/single.txt"; fail "the single-process run failed"; }
"${mpirun[@]}" -np 1 "$train" "${run[@]}" --epochs 2 --out "$work/k1" >"$work/k1.txt" 2>&1 ||
  { cat "$work/k1.txt"; fail "the run with 1 process failed"; }
same_parameters "$work/single" "$work/k1" || fail "mpirun -np 1 differs from the single process"

for name in k2 k2-again; do
  "${mpirun[@]}" -np 2 "$train" "${run[@]}" --epochs 2 --out "$work/$name" >"$work/$name.txt" 2>&1 ||
    { cat "$work/$name.txt"; fail "the run with 2 processes failed"; }
done
same_parameters "$work/k2" "$work/k2-again" || fail "two runs with 2 processes differ"
grep -q '"processes": *2' "$work/k2/history.json" || fail "history.json does not record 2 processes"
grep -q "data-parallel: 2 processes of 8 images each" "$work/k2.txt" || fail "no data-parallel line"
if [[ $(grep -c "^ThreeLayerConvNet (batch norm) on" "$work/k2.txt") != 1 ]]; then
  cat "$work/k2.txt"; fail "more than rank 0 printed"
fi

"${mpirun[@]}" -np 2 "$train" "${run[@]}" --batch-size 15 --out "$work/odd" >"$work/odd.txt" 2>&1 &&
  fail "a batch of 15 over 2 processes was accepted"
grep -q -- "--batch-size 15 is not divisible by the 2 processes" "$work/odd.txt" ||
  { cat "$work/odd.txt"; fail "no message for the batch of 15"; }

TAPEGRAD_TEST_PERTURB_RANK=1 "${mpirun[@]}" -np 2 "$train" "${run[@]}" --epochs 1 \
  --out "$work/perturbed" >"$work/perturbed.txt" 2>&1 && fail "a drifting process went unnoticed"
grep -q "the parameters of rank 1 differ from rank 0's" "$work/perturbed.txt" ||
  { cat "$work/perturbed.txt"; fail "the drifting rank is not named"; }

# SIGKILL to rank 1 mid-run. 12 epochs of this tiny run last about a second
# without sanitizers (4 ended before a 0.5 s wait on a quiet machine), and
# the signal goes 0.1 s after the first checkpoint, written as training starts.
long=(--epochs 12 --checkpoint-every 5)
"${mpirun[@]}" -np 2 "$train" "${run[@]}" "${long[@]}" --out "$work/reference" \
  >"$work/reference.txt" 2>&1 || { cat "$work/reference.txt"; fail "the reference run failed"; }
"${mpirun[@]}" -np 2 "$train" "${run[@]}" "${long[@]}" --out "$work/killed" >"$work/killed.txt" 2>&1 &
launcher=$!
for _ in $(seq 1 3000); do
  [[ -f "$work/killed/checkpoint.tgck" ]] && break
  sleep 0.01
done
sleep 0.1
victim=""
for pid in $(pgrep -P "$launcher"); do
  if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1"; then
    victim=$pid
  fi
done
[[ -n "$victim" ]] || { wait "$launcher"; cat "$work/killed.txt"; fail "rank 1 not found (run too short?)"; }
killed_at=$(date +%s%3N)
kill -KILL "$victim"
wait "$launcher" && fail "the run ended well with rank 1 killed"
took=$(($(date +%s%3N) - killed_at))
echo "the other process stopped ${took} ms after rank 1 was killed"
((took < 10000)) || fail "the other process took ${took} ms to stop"
grep -q "process rank 1 .*exited on signal 9" "$work/killed.txt" ||
  { cat "$work/killed.txt"; fail "the lost rank is not named"; }
"${mpirun[@]}" -np 2 "$train" --resume "$work/killed" >"$work/resumed.txt" 2>&1 ||
  { cat "$work/resumed.txt"; fail "the resumed run failed"; }
grep "resumed from" "$work/resumed.txt"
same_parameters "$work/reference" "$work/killed" || fail "the resumed run differs from the uninterrupted one"

# SIGINT (Ctrl-C) to rank 1 alone: the processes agree to stop at the same
# iteration, rank 0 writes the checkpoint, and the run resumes to the same
# parameters.
"${mpirun[@]}" -np 2 "$train" "${run[@]}" "${long[@]}" --out "$work/stopped" >"$work/stopped.txt" 2>&1 &
launcher=$!
for _ in $(seq 1 3000); do
  [[ -f "$work/stopped/checkpoint.tgck" ]] && break
  sleep 0.01
done
sleep 0.1
for pid in $(pgrep -P "$launcher"); do
  if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1"; then
    kill -INT "$pid"
  fi
done
wait "$launcher"
grep -q "^stopped at iteration [0-9]*; continue with: train --resume" "$work/stopped.txt" ||
  { cat "$work/stopped.txt"; fail "no stop message after SIGINT to rank 1 (did the run end first?)"; }
"${mpirun[@]}" -np 2 "$train" --resume "$work/stopped" >"$work/stopped-resumed.txt" 2>&1 ||
  { cat "$work/stopped-resumed.txt"; fail "the run stopped by SIGINT did not resume"; }
same_parameters "$work/reference" "$work/stopped" || fail "the run stopped by SIGINT differs once resumed"
echo "PASS"
