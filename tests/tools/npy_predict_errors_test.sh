#!/usr/bin/env bash
# tools/npy_predict.py on a damaged params/: a short real run's files are
# tampered with in each way a user (or a copy from another run) could, and
# every one must end in one line on stderr, "npy_predict: FILE: what is
# wrong", naming the file at fault, with exit status 1 and no Python
# traceback. A language model's run is sent to tools/sample; a bad command
# line exits 2 with the usage.
set -uo pipefail

absolute() { [[ "$1" = /* ]] && echo "$1" || echo "$PWD/$1"; }
train=$(absolute "$1")
npy_predict=$(absolute "$2")
work="${TEST_TMPDIR:-/tmp}/npy_predict_errors_test"
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

common=(--num-train 640 --num-val 128 --num-test 100 --epochs 1)
"$train" "${common[@]}" --filters 4 --hidden 16 --out "$work/cnn" >"$work/cnn-train.txt" 2>&1
expect "the cnn run trains" test $? -eq 0
"$train" "${common[@]}" --model fc --hidden-dims 32,32 --out "$work/fc" >"$work/fc-train.txt" 2>&1
expect "the fc run trains" test $? -eq 0
for a in b d f k m p r s t; do for b in a e i o u; do for c in n l x; do echo "$a$b$c"; done; done; done \
  >"$work/words.txt"
"$train" --model charlm --word-list "$work/words.txt" --num-val 20 --epochs 1 --hidden 8 \
  --out "$work/charlm" >"$work/charlm-train.txt" 2>&1
expect "the charlm run trains" test $? -eq 0

"$python" "$npy_predict" "$work/cnn" --num-test 100 >"$work/untouched.txt" 2>&1
expect "the untouched cnn run is predicted (exit 0)" test $? -eq 0

# The ways of tampering with the case's run folder "$run" (set by refused below).
# edit_json CODE: runs CODE on model.json, loaded as `doc` (layers: doc["layers"]).
edit_json() {
  "$python" - "$run/params/model.json" "$1" <<'PY'
import json, sys
path, code = sys.argv[1], sys.argv[2]
doc = json.load(open(path))
exec(code)
json.dump(doc, open(path, "w"), indent=2)
PY
}

# edit_npy NAME CODE: runs CODE on the array `a` of params/NAME.npy and saves `a`.
edit_npy() {
  "$python" - "$run/params/$1.npy" "$2" <<'PY'
import sys
import numpy as np
path, code = sys.argv[1], sys.argv[2]
a = np.load(path)
exec(code)
np.save(path, a)
PY
}
remove() { rm "$run/params/$1"; }
copy_from() { cp "$work/$1/params/$2" "$run/params/$2"; }  # copy_from OTHER_RUN FILE
truncate_to() { truncate -s "$2" "$run/params/$1"; }
zero_first_bytes() { dd if=/dev/zero of="$run/params/$1" bs=1 count="$2" conv=notrunc status=none; }
write_text() { printf '%s\n' "$2" >"$run/params/$1"; }

# refused NAME FILE PHRASE TAMPER...: a fresh copy of the cnn run, "$run", tampered with
# by the command TAMPER, must be refused naming params/FILE, with PHRASE in the message.
refused() {
  local name="$1" file="$2" phrase="$3"
  shift 3
  run="$work/case-$name"
  rm -rf "$run"
  cp -r "$work/cnn" "$run"
  "$@"
  "$python" "$npy_predict" "$run" --num-test 100 >"$work/$name.out" 2>"$work/$name.err"
  local status=$?
  expect "$name: exit status 1 (got $status)" test $status -eq 1
  expect "$name: stderr starts 'npy_predict: $file: '" \
    test "$(head -c $((${#run} + ${#file} + 23)) "$work/$name.err")" = "npy_predict: $run/params/$file: "
  expect "$name: one line on stderr" test "$(wc -l <"$work/$name.err")" -eq 1
  expect "$name: the message says '$phrase'" grep -qF -- "$phrase" "$work/$name.err"
  expect "$name: no traceback" bash -c "! grep -q Traceback '$work/$name.err'"
  sed 's/^/    /' "$work/$name.err"
}

refused wrong-shape fc2.weight.npy "w is (100, 16), expected (784, M)" \
  edit_npy fc2.weight "a = np.zeros((100, 16), np.float32)"
refused no-layers model.json 'no "layers"' edit_json 'del doc["layers"]'
refused stride-0 model.json "stride must be a whole number of at least 1, got 0" \
  edit_json 'doc["layers"][0]["stride"] = 0'
refused negative-pad model.json "pad must be a whole number of at least 0, got -1" \
  edit_json 'doc["layers"][0]["pad"] = -1'
refused stride-text model.json 'stride must be a whole number of at least 1, got "1"' \
  edit_json 'doc["layers"][3]["stride"] = "1"'
# The first linear layer moved before the conv whose output it takes.
refused out-of-order model.json "layer 1 (conv2d) gets (16,) per example from layer 0 (linear)" \
  edit_json 'doc["layers"].insert(0, doc["layers"].pop(4))'
refused pool-too-large model.json "the pool height (40) is larger than the input (28)" \
  edit_json 'doc["layers"][3]["pool_height"] = 40'
# fc's last weights (32, 10) in the cnn, whose last layer takes 16 features.
refused weight-of-another-model fc3.weight.npy "w is (32, 10), expected (16, M)" \
  copy_from fc fc3.weight.npy
refused last-layer-dropped model.json "no layer uses fc3.weight, fc3.bias" edit_json 'doc["layers"].pop()'
refused last-layer-and-its-names-dropped model.json "the layers end with 16 scores per example" \
  edit_json 'doc["layers"].pop(); doc["parameters"] = doc["parameters"][:-2]'
refused missing-npy conv1.weight.npy "no such file (model.json names it)" remove conv1.weight.npy
refused missing-model-json model.json "no such file (is the folder a run folder of tools/train?)" \
  remove model.json
refused truncated-npy fc2.weight.npy "truncated: its header says (784, 16) float32 (50176 bytes)" \
  truncate_to fc2.weight.npy 1000
refused corrupt-npy conv1.bias.npy "not a .npy file NumPy can read" \
  zero_first_bytes conv1.bias.npy 8
refused not-json model.json "not JSON (Expecting" \
  write_text model.json '{"format": "tapegrad-params",' 
refused unknown-kind model.json 'layer 2: unknown op "softmax"' \
  edit_json 'doc["layers"][2]["op"] = "softmax"'
refused unknown-key model.json 'layer 2 (relu): unknown key "slope"' \
  edit_json 'doc["layers"][2]["slope"] = 0.1'
refused wrong-dtype conv1.weight.npy "dtype float64, but the model's numbers" \
  edit_npy conv1.weight "a = a.astype(np.float64)"
refused integer-dtype fc3.bias.npy "dtype int64, but the model's numbers" \
  edit_npy fc3.bias "a = a.astype(np.int64)"
refused nan fc2.bias.npy "holds 1 NaN or infinite values" edit_npy fc2.bias "a[3] = np.nan"
refused negative-variance bn1.running_var.npy "running_var holds negative values" \
  edit_npy bn1.running_var "a[0] = -1"
refused mean-image-shape mean_image.npy "the mean image is (1, 32, 32)" \
  edit_npy mean_image "a = np.zeros((1, 32, 32), np.float32)"
refused path-outside model.json "w must name a .npy file in params/" \
  edit_json 'doc["layers"][0]["w"] = "../../fc/params/fc1.weight.npy"'

refused version-1 model.json "a model.json of version 1; this script reads version 2 (version 1 is from before the module tree: train again)" \
  edit_json 'doc["version"] = 1'
refused not-exportable model.json "this model cannot be run in NumPy: MyNet: it has no layers" \
  edit_json 'doc["layers"] = None; doc["not_exportable"] = "MyNet: it has no layers"'
refused residual-shapes model.json "layer 6 (residual) gets (16,) per example from layer 5 (relu): its body gives (10,), its shortcut (16,)" \
  edit_json 'doc["layers"].insert(6, {"op": "residual", "body": [doc["layers"][6]], "shortcut": []})'
refused residual-unknown model.json 'layer 6 (residual) body 0: unknown op "softmax"' \
  edit_json 'doc["layers"].insert(6, {"op": "residual", "body": [{"op": "softmax"}], "shortcut": []})'
refused residual-no-body model.json "layer 6 (residual): its body has no layers" \
  edit_json 'doc["layers"].insert(6, {"op": "residual", "body": [], "shortcut": []})'

# A language model: refused, pointing to tools/sample.
"$python" "$npy_predict" "$work/charlm" >"$work/charlm.out" 2>"$work/charlm.err"
status=$?
expect "charlm: exit status 1 (got $status)" test $status -eq 1
expect "charlm: 'a language model: use tools/sample', naming model.json" grep -qF -- \
  "npy_predict: $work/charlm/params/model.json: CharRNN is a language model: use tools/sample" \
  "$work/charlm.err"
sed 's/^/    /' "$work/charlm.err"

# A bad command line: exit 2 and the usage.
usage_error() {  # usage_error NAME ARGS...
  local name="$1"
  shift
  "$python" "$npy_predict" "$@" >"$work/$name.out" 2>"$work/$name.err"
  local status=$?
  expect "$name: exit status 2 (got $status)" test $status -eq 2
  expect "$name: the usage is printed" grep -q "^usage: " "$work/$name.err"
  expect "$name: no traceback" bash -c "! grep -q Traceback '$work/$name.err'"
  sed 's/^/    /' "$work/$name.err"
}
usage_error no-run-folder
usage_error no-such-folder "$work/no-such-run"
usage_error empty-run-folder ""

if [[ $failures -ne 0 ]]; then
  echo "$failures checks failed; outputs in $work"
  exit 1
fi
echo "all checks passed"
