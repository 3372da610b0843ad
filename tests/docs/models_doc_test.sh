#!/usr/bin/env bash
# docs/models.md end to end: its small ResNet trains through the Solver
# (models_doc_main), then tools/predict and tools/npy_predict.py, which know
# nothing of the model, evaluate the saved run folder and agree.
set -uo pipefail
absolute() { [[ "$1" = /* ]] && echo "$1" || echo "$PWD/$1"; }
main=$(absolute "$1")
predict=$(absolute "$2")
npy_predict=$(absolute "$3")
work="${TEST_TMPDIR:-/tmp}/models_doc_test"
rm -rf "$work"
mkdir -p "$work"
python=python3
[[ -x /usr/bin/python3 ]] && python=/usr/bin/python3
failures=0
expect() {  # expect DESCRIPTION CONDITION...
  local description="$1"
  shift
  if "$@"; then echo "ok: $description"; else echo "FAILED: $description"; failures=$((failures + 1)); fi
}

"$main" "$work/run" >"$work/main.txt" 2>&1
expect "the page's code trains, reloads and reaches accuracy > 0.5 (exit 0)" test $? -eq 0
cat "$work/main.txt"
expect "the parameters have dotted names" grep -q "stem.weight first, fc.bias last" "$work/main.txt"
expect "the run folder has the curves" test -s "$work/run/curves.svg"
expect "the run folder has model.tgm" test -s "$work/run/model.tgm"
expect "params/ has a nested block's weight" test -s "$work/run/params/layer2.res.body.conv1.weight.npy"

"$predict" "$work/run" --num-test 1000 >"$work/predict.txt" 2>&1
expect "tools/predict evaluates the run (exit 0)" test $? -eq 0
"$python" "$npy_predict" "$work/run" --num-test 1000 >"$work/npy.txt" 2>&1
expect "tools/npy_predict.py evaluates the run (exit 0)" test $? -eq 0
cat "$work/npy.txt"
tapegrad=$(grep -o "test accuracy [0-9.]*" "$work/predict.txt" | head -1)
numpy=$(grep -o "test accuracy [0-9.]*" "$work/npy.txt" | head -1)
expect "NumPy's accuracy is tools/predict's ($tapegrad, $numpy)" test -n "$tapegrad" -a "$tapegrad" = "$numpy"
expect "the Solver's test accuracy is tools/predict's" grep -q "^$tapegrad\$" "$work/main.txt"

if [[ $failures -ne 0 ]]; then
  echo "$failures checks failed; outputs in $work"
  exit 1
fi
echo "all checks passed"
