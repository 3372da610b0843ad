#!/usr/bin/env bash
# Run folders never lose or mix work (issue 13, findings 1, 2, 3 and 7):
# default folders are unique even for runs started together; a folder that
# holds a run is refused without --resume or --overwrite, and --overwrite
# leaves none of the old run's files; a second training in a folder in use
# fails at once naming the first one's PID; Ctrl-C and SIGTERM stop after
# the current step with a checkpoint and a message, a second signal at once;
# temporary files of interrupted writes are removed when a run starts.
set -uo pipefail

train="$PWD/$1"
small_idx="$PWD/$2"
work="${TEST_TMPDIR:-/tmp}/run_folder_test"
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1
# The first 1000 Fashion-MNIST images (tests/support/small_idx.py): loading takes no time.
python3 "$small_idx" /usr/share/datasets/fashion-mnist data 1000 100 || exit 1
failures=0

expect() {  # expect DESCRIPTION CONDITION...
  local description="$1"
  shift
  if "$@"; then echo "ok: $description"; else echo "FAILED: $description"; failures=$((failures + 1)); fi
}
contains() { grep -q -- "$2" "$1"; }
same_file() { cmp -s "$1" "$2"; }
# The folder a run printed as its "run folder:".
folder_of() { sed -n 's/^run folder: \([^ ]*\)$/\1/p' "$1" | head -1; }
lines() { if [[ -f "$1" ]]; then echo $(($(wc -l <"$1") - 1)); else echo 0; fi; }
# Waits (up to 60 s) until the file $1 exists.
wait_for() { for _ in $(seq 1 6000); do [[ -e "$1" ]] && return 0; sleep 0.01; done; return 1; }

small=(--data-dir data --num-train 320 --num-val 64 --num-test 64 --epochs 1)  # 5 iterations
fc=(--model fc --hidden-dims 32)
cnn=(--model cnn --filters 2 --hidden 8)

# 1. Runs started together without --out (a learning-rate sweep) each get a
# folder of their own. The folder named after this second and the next few
# already holds a run, which must be left alone.
mkdir -p runs
earlier_runs=()
for offset in 0 1 2 3 4 5 6 7 8 9; do
  earlier_runs+=("runs/fashion-mnist-fc-$(date -d "+$offset seconds" +%Y%m%d-%H%M%S)")
  mkdir -p "${earlier_runs[-1]}"
  echo "an earlier run's checkpoint" >"${earlier_runs[-1]}/checkpoint.tgck"
done
pids=()
for lr in 1e-3 2e-3 3e-3; do
  "$train" "${small[@]}" "${fc[@]}" --lr "$lr" >"sweep-$lr.txt" 2>&1 &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
expect "a sweep of 3 runs without --out: all exit 0" test $status -eq 0
folders=()
for lr in 1e-3 2e-3 3e-3; do folders+=("$(folder_of "sweep-$lr.txt")"); done
expect "a sweep of 3 runs: 3 different folders (${folders[*]})" \
  test "$(printf '%s\n' "${folders[@]}" | sort -u | grep -c .)" -eq 3
expected_lr=(0.001 0.002 0.003)
for i in 0 1 2; do
  expect "sweep run ${expected_lr[$i]}: its folder records its learning rate" \
    contains "${folders[$i]}/history.json" "\"lr\":${expected_lr[$i]},"
  case " ${earlier_runs[*]} " in
    *" ${folders[$i]} "*) expect "sweep run ${expected_lr[$i]}: not in a folder that held a run" false ;;
  esac
done
untouched=0
for earlier in "${earlier_runs[@]}"; do
  grep -q "an earlier run" "$earlier/checkpoint.tgck" && untouched=$((untouched + 1))
done
expect "a sweep: the folders that held runs are left alone" test $untouched -eq 10

# 2. A folder that holds a run is refused without --resume; the run is kept.
"$train" "${small[@]}" "${fc[@]}" --out fc-run >fc-run.txt 2>&1
expect "a small fc run exits 0" test $? -eq 0
cp fc-run/checkpoint.tgck fc-run-checkpoint.before
"$train" "${small[@]}" "${cnn[@]}" --out fc-run >into-run.txt 2>&1
expect "training into a run folder without --resume: exit 2" test $? -eq 2
expect "training into a run folder: names the folder and both ways on" \
  contains into-run.txt "--out fc-run: this folder already holds a run; continue it with --resume fc-run, or give --overwrite"
expect "training into a run folder: its checkpoint is untouched" \
  same_file fc-run/checkpoint.tgck fc-run-checkpoint.before
touch fc-run/params/notes.txt  # not a run file: --overwrite keeps it
"$train" "${small[@]}" "${cnn[@]}" --out fc-run --overwrite >overwrite.txt 2>&1
expect "--overwrite: exit 0" test $? -eq 0
"$train" "${small[@]}" "${cnn[@]}" --out cnn-alone >cnn-alone.txt 2>&1
expect "--overwrite: a cnn run replaces the fc run's parameters, none left over" \
  test "$(ls fc-run/params | grep -v notes.txt)" = "$(ls cnn-alone/params)"
expect "--overwrite: other files are kept" test -f fc-run/params/notes.txt
expect "--overwrite: epochs.csv holds the new run's epoch only" test "$(lines fc-run/epochs.csv)" -eq 1
expect "--overwrite: history.json is the cnn's" contains fc-run/history.json '"model":"ThreeLayerConvNet"'

# 3. Two trainings in one folder at the same time: one trains, the other is
# refused at once; also a resume and an --overwrite while it runs.
"$train" "${small[@]}" "${fc[@]}" --epochs 1000000 --out busy >busy-a.txt 2>&1 &
first=$!
wait_for busy/epochs.csv
"$train" "${small[@]}" "${fc[@]}" --out busy --overwrite >busy-b.txt 2>&1
expect "a second training in a busy folder: exit 1" test $? -eq 1
expect "a second training in a busy folder: names the first one's PID" \
  contains busy-b.txt "busy: in use by another process (PID $first,"
"$train" --resume busy >busy-c.txt 2>&1
expect "resuming a busy folder: refused naming the PID" contains busy-c.txt "(PID $first,"
kill -INT "$first"
wait "$first"
expect "the first training in the busy folder stops as asked (130)" test $? -eq 130
stopped_at=$(sed -n 's/^stopped at iteration \([0-9]*\);.*$/\1/p' busy-a.txt)
expect "the busy folder holds the first training's history alone" \
  test "$(lines busy/history.csv)" -eq "${stopped_at:-0}" -a "$(grep -c '^1,' busy/history.csv)" -eq 1
# Started together into one new folder: exactly one of them trains.
"$train" "${small[@]}" "${fc[@]}" --out together >together-a.txt 2>&1 &
a=$!
"$train" "${small[@]}" "${fc[@]}" --out together >together-b.txt 2>&1 &
b=$!
wait "$a"; status_a=$?
wait "$b"; status_b=$?
expect "two trainings started together into one --out: one exits 0, one is refused ($status_a, $status_b)" \
  test $((status_a == 0 ? 1 : 0)) -ne $((status_b == 0 ? 1 : 0))

# 7. Ctrl-C / SIGTERM: the current step ends, a checkpoint and the history
# files are written, the message says how to continue; exit 130 / 143.
wait_for_text() {  # wait_for_text FILE TEXT: up to 60 s
  for _ in $(seq 1 6000); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.01; done
  return 1
}
for signal in INT TERM; do
  folder="stop-$signal"
  "$train" "${small[@]}" "${fc[@]}" --epochs 1000000 --out "$folder" >"$folder.txt" 2>&1 &
  pid=$!
  wait_for "$folder/epochs.csv"  # an epoch done
  kill -s "$signal" "$pid"
  wait "$pid"
  status=$?
  expected=$([[ $signal == INT ]] && echo 130 || echo 143)
  expect "SIG$signal: exit $expected" test "$status" -eq "$expected"
  stopped_at=$(sed -n 's/^stopped at iteration \([0-9]*\);.*$/\1/p' "$folder.txt")
  expect "SIG$signal: 'stopped at iteration N; continue with: train --resume $folder'" \
    contains "$folder.txt" "^stopped at iteration [0-9]*; continue with: train --resume $folder\$"
  expect "SIG$signal: history.csv holds the iterations up to the stop (${stopped_at:-?})" \
    test "$(lines "$folder/history.csv")" -eq "${stopped_at:-0}"
  "$train" --resume "$folder" --threads 1 >"$folder-resumed.txt" 2>&1 &
  pid=$!
  wait_for_text "$folder-resumed.txt" "^run folder: "
  kill -s "$signal" "$pid"
  wait "$pid"
  status=$?
  expect "SIG$signal: resumed from the folder alone at the stop" \
    contains "$folder-resumed.txt" "resumed from $folder at iteration ${stopped_at:-x} "
  expect "SIG$signal: the resumed run stopped again ($status)" test "$status" -eq "$expected"
done
# A signal while the data loads: nothing to save, no run folder. A second
# one exits at once. (Loading takes a good part of a second: the signals
# are sent as soon as the handler is installed, the second once the first
# was handled.)
wait_for_handler() {  # until process $1 catches SIGINT
  local caught
  for _ in $(seq 1 3000); do
    caught=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)
    [[ -n $caught ]] && (((16#$caught >> 1) & 1)) && return 0
    sleep 0.01
  done
  return 1
}
real=(--data-dir /usr/share/datasets/fashion-mnist)  # loading takes a while
"$train" "${small[@]}" "${fc[@]}" "${real[@]}" --out early >early.txt 2>&1 &
pid=$!
wait_for_handler "$pid"
kill -INT "$pid"
wait "$pid"
expect "Ctrl-C while loading: exit 130" test $? -eq 130
expect "Ctrl-C while loading: says so" contains early.txt "stopped before training started"
expect "Ctrl-C while loading: no run folder" test ! -e early
"$train" "${small[@]}" "${fc[@]}" "${real[@]}" --out twice >twice.txt 2>&1 &
pid=$!
wait_for_handler "$pid"
kill -INT "$pid"
wait_for_text twice.txt "stopping after the current step"
kill -INT "$pid"
wait "$pid"
expect "two Ctrl-C: exit 130" test $? -eq 130
expect "two Ctrl-C: the second exits at once" contains twice.txt "second signal: exiting at once"
expect "two Ctrl-C: without waiting for the data" test "$(grep -c "stopped before" twice.txt)" -eq 0
expect "two Ctrl-C: no run folder" test ! -e twice

# 7. Temporary files of interrupted writes are removed when a run starts;
# those of a process still running (this shell) and other files are kept.
child_pid() { bash -c 'echo $$'; }
dead=$(child_pid)
for name in checkpoint.tgck history.csv epochs.csv curves.svg history.json; do
  head -c 100000 /dev/zero >"fc-run/$name.tmp.$dead.0"
done
head -c 1000 /dev/zero >"fc-run/params/fc1.weight.npy.tmp.$dead.3"
echo live >"fc-run/checkpoint.tgck.tmp.$$.0"
"$train" --resume fc-run --epochs 2 >stale.txt 2>&1
expect "resume with stale temporaries: exit 0" test $? -eq 0
expect "stale temporaries: removed and reported" contains stale.txt "removed 6 temporary files of interrupted writes from fc-run"
expect "stale temporaries: none left" test "$(ls fc-run fc-run/params | grep -c "\.tmp\.$dead\.")" -eq 0
expect "stale temporaries: a live process's file is kept" test -f "fc-run/checkpoint.tgck.tmp.$$.0"
expect "stale temporaries: other files kept" test -f fc-run/params/notes.txt

if [[ $failures -ne 0 ]]; then
  echo "$failures checks failed; outputs in $work"
  for f in "$work"/*.txt; do echo "== $f"; tail -4 "$f"; done
  exit 1
fi
echo "all checks passed"
