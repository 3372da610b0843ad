#!/usr/bin/env bash
# The NumPy export is complete: short training runs of the shipped image
# models (with and without batch norm, with dropout; the LSTM row by row),
# then tools/npy_predict.py (NumPy alone, reading params/) and tools/predict
# (reading model.tgm) on the same test images must agree on every
# prediction, on the scores to 1e-4 relative, and on the test accuracy
# tools/train reported.
set -uo pipefail

train="$PWD/$1"
predict="$PWD/$2"
npy_predict="$PWD/$3"
work="${TEST_TMPDIR:-/tmp}/npy_predict_test"
rm -rf "$work"
mkdir -p "$work"
# Debian's interpreter has Debian's python3-numpy (tools/setup.sh).
python=python3
[[ -x /usr/bin/python3 ]] && python=/usr/bin/python3
failures=0

expect() {  # expect DESCRIPTION CONDITION...
  local description="$1"
  shift
  if "$@"; then echo "ok: $description"; else echo "FAILED: $description"; failures=$((failures + 1)); fi
}

accuracy_in() { sed -n 's/^test accuracy \([0-9.]*\).*/\1/p' "$1" | head -n 1; }

common=(--num-train 640 --num-val 128 --num-test 1000 --epochs 1)
runs=(
  "cnn-bn:--filters 4 --hidden 16"
  "cnn:--filters 4 --hidden 16 --no-batchnorm"
  "fc-bn-dropout:--model fc --hidden-dims 64,32 --keep-prob 0.7"
  "lstm:--model lstm --hidden 16"
)
for run in "${runs[@]}"; do
  name=${run%%:*}
  read -r -a flags <<<"${run#*:}"
  folder="$work/$name"
  "$train" "${common[@]}" "${flags[@]}" --out "$folder" >"$work/$name-train.txt" 2>&1
  expect "$name: training exits 0" test $? -eq 0
  "$predict" "$folder" --num-test 1000 --save-scores "$work/$name-tapegrad.npy" \
    >"$work/$name-predict.txt" 2>&1
  expect "$name: tools/predict exits 0" test $? -eq 0
  "$python" "$npy_predict" "$folder" --num-test 1000 --save-scores "$work/$name-numpy.npy" \
    >"$work/$name-numpy.txt" 2>&1
  expect "$name: tools/npy_predict.py exits 0" test $? -eq 0

  trained=$(accuracy_in "$work/$name-train.txt")
  expect "$name: tools/train reported a test accuracy" test -n "$trained"
  expect "$name: tools/predict's accuracy is tools/train's ($trained)" \
    test "$(accuracy_in "$work/$name-predict.txt")" = "$trained"
  expect "$name: NumPy's accuracy is tools/train's ($trained)" \
    test "$(accuracy_in "$work/$name-numpy.txt")" = "$trained"

  "$python" - "$work/$name-tapegrad.npy" "$work/$name-numpy.npy" "$folder/predictions.csv" \
    >"$work/$name-compare.txt" 2>&1 <<'PY'
import sys
import numpy as np
ours, numpy_scores = np.load(sys.argv[1]), np.load(sys.argv[2])
assert ours.shape == numpy_scores.shape == (1000, 10), (ours.shape, numpy_scores.shape)
differ = np.flatnonzero(ours.argmax(axis=1) != numpy_scores.argmax(axis=1))
assert differ.size == 0, f"predictions differ at rows {differ[:10]}"
# Relative to the largest score of each row: scores near 0 have no relative error of their own.
relative = np.abs(ours - numpy_scores).max(axis=1) / np.abs(ours).max(axis=1)
assert relative.max() <= 1e-4, f"scores differ by {relative.max():.3g} relative (row {relative.argmax()})"
csv = np.loadtxt(sys.argv[3], delimiter=",", skiprows=1)
assert (csv[:, 2].astype(int) == numpy_scores.argmax(axis=1)).all(), "predictions.csv differs"
print(f"agree on all {len(ours)} predictions; largest relative score difference {relative.max():.3g}")
PY
  expect "$name: NumPy and tapegrad agree on every prediction and on the scores" test $? -eq 0
  cat "$work/$name-compare.txt"
done

if [[ $failures -ne 0 ]]; then
  echo "$failures checks failed; outputs in $work"
  for f in "$work"/*.txt; do echo "== $f"; tail -5 "$f"; done
  exit 1
fi
echo "all checks passed"
