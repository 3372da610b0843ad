#!/usr/bin/env bash
# tools/plot end to end: run folders in, SVG out, clear errors and exit codes.
set -uo pipefail

plot="$PWD/$1"  # absolute: the test changes folder
work="${TEST_TMPDIR:-/tmp}/plot_tool_test"
rm -rf "$work"
mkdir -p "$work/runs/adam" "$work/runs/sgd" "$work/runs/broken"
failures=0

expect() {  # expect DESCRIPTION CONDITION...
  local description="$1"
  shift
  if "$@"; then echo "ok: $description"; else echo "FAILED: $description"; failures=$((failures + 1)); fi
}

write_run() {  # write_run FOLDER ITERATIONS EPOCHS
  {
    echo "iteration,epoch,loss,lr"
    for ((i = 1; i <= $2; i++)); do echo "$i,$((i * $3)).0e-2,$((300 - i)).5e-2,0.001"; done
  } >"$1/history.csv"
  {
    echo "epoch,train_acc,val_acc,lr,seconds"
    for ((e = 1; e <= $3; e++)); do echo "$e,0.$((4 + e)),0.$((3 + e)),0.001,2.5"; done
  } >"$1/epochs.csv"
}

write_run "$work/runs/adam" 100 4
write_run "$work/runs/sgd" 80 3
printf 'iteration,epoch,loss,lr\n1,0.1,2.3,0.001\n2,0.2,oops,0.001\n' >"$work/runs/broken/history.csv"
cp "$work/runs/adam/epochs.csv" "$work/runs/broken/"

cd "$work"

"$plot" runs/adam >out.txt 2>err.txt
expect "one folder: exit 0" test $? -eq 0
expect "one folder: curves.svg written" grep -q '</svg>' runs/adam/curves.svg
expect "one folder: titled after the folder" grep -q '>adam</text>' runs/adam/curves.svg
expect "one folder: nothing on stderr" test ! -s err.txt

"$plot" runs/adam runs/sgd/ --out both.svg --title 'adam & sgd' >out.txt 2>err.txt
expect "two folders: exit 0" test $? -eq 0
expect "two folders: both named in the legend" grep -q '>sgd</text>' both.svg
expect "two folders: title escaped" grep -q '>adam &amp; sgd</text>' both.svg

"$plot" runs/sgd --out no-such-folder/sgd.svg >out.txt 2>err.txt
expect "output in a missing folder: exit 1" test $? -eq 1
expect "output in a missing folder: names it" grep -q '^plot: no-such-folder/sgd.svg: ' err.txt
BUILD_WORKING_DIRECTORY="$work/runs" "$plot" sgd >out.txt 2>err.txt
expect "BUILD_WORKING_DIRECTORY: relative folders resolved" test -s "$work/runs/sgd/curves.svg"

"$plot" runs/adam runs/sgd >out.txt 2>err.txt
expect "two folders without --out: exit 2 (a bad command line)" test $? -eq 2
expect "two folders without --out: one line naming --out" \
  test "$(cat err.txt)" = "plot: --out: required when overlaying several run folders (see --help)"

# --out never writes over a file that is not an SVG: a run's data is safe.
cp runs/adam/epochs.csv epochs.before
"$plot" runs/adam --out runs/adam/epochs.csv >out.txt 2>err.txt
expect "--out onto a run's epochs.csv: exit 2" test $? -eq 2
expect "--out onto a run's epochs.csv: says why" \
  grep -q '^plot: --out runs/adam/epochs.csv: this file exists and is not an SVG' err.txt
expect "--out onto a run's epochs.csv: the file is untouched" cmp -s runs/adam/epochs.csv epochs.before
"$plot" runs/adam --out runs >out.txt 2>err.txt
expect "--out onto a folder: exit 2" test $? -eq 2
"$plot" runs/adam --out both.svg >out.txt 2>err.txt
expect "--out onto an existing SVG: replaced, exit 0" test $? -eq 0
expect "--out onto an existing SVG: now the one run's" bash -c "! grep -q '>sgd</text>' both.svg"

"$plot" runs/broken >out.txt 2>err.txt
expect "corrupt history.csv: exit 1" test $? -eq 1
expect "corrupt history.csv: names file and line" grep -q '^plot: runs/broken/history.csv: line 3: ' err.txt
expect "corrupt history.csv: one line" test "$(wc -l <err.txt)" -eq 1

"$plot" runs/missing >out.txt 2>err.txt
expect "missing folder: exit 1" test $? -eq 1
expect "missing folder: names the file" grep -q '^plot: runs/missing/history.csv: cannot open' err.txt

"$plot" --bogus runs/adam >out.txt 2>err.txt
expect "unknown flag: exit 2" test $? -eq 2
expect "unknown flag: one line" test "$(wc -l <err.txt)" -eq 1

"$plot" >out.txt 2>err.txt
expect "no folder: exit 2" test $? -eq 2

"$plot" --help >out.txt 2>err.txt
expect "--help: exit 0 with usage" grep -q 'Usage' out.txt

echo "$failures failed"
test "$failures" -eq 0
