#!/usr/bin/env bash
# tools/predict end to end on the real Fashion-MNIST files: a short run's
# model evaluated on the test set (the accuracy tools/train reported, the
# confusion matrix, confusion.svg, predictions.csv), image files of three
# formats classified as the same images of the test set, and clear errors
# with exit status 1 for bad models, images and flags.
set -uo pipefail

train="$PWD/$1"
predict="$PWD/$2"
work="${TEST_TMPDIR:-/tmp}/predict_tool_test"
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

contains() { grep -q -- "$2" "$1"; }
contains_text() { grep -qF -- "$2" "$1"; }
accuracy_in() { sed -n 's/^test accuracy \([0-9.]*\).*/\1/p' "$1" | head -n 1; }

"$predict" --help >"$work/help.txt" 2>&1
expect "--help exits 0" test $? -eq 0
expect "--help lists --images" contains "$work/help.txt" "--images"
"$predict" "$work" --no-such-flag >"$work/usage.txt" 2>&1
expect "an unknown flag: exit 2, as train and plot" test $? -eq 2
expect "an unknown flag: 'predict: ... (see --help)'" contains "$work/usage.txt" "^predict: .*no-such-flag.*(see --help)"

run="$work/run"
"$train" --model fc --hidden-dims 32 --num-train 640 --num-val 128 --num-test 300 --epochs 1 \
  --out "$run" >"$work/train.txt" 2>&1
expect "the training run exits 0" test $? -eq 0
expect "the run folder has model.tgm" test -s "$run/model.tgm"

"$predict" "$run" --num-test 300 >"$work/predict.txt" 2>&1
expect "predict on the run folder exits 0" test $? -eq 0
expect "predict reports tools/train's test accuracy" \
  test "$(accuracy_in "$work/predict.txt")" = "$(accuracy_in "$work/train.txt")"
expect "predict names the model and data set" \
  contains "$work/predict.txt" "FullyConnectedNet (.*model.tgm) on the Fashion-MNIST test set: 300 images"
expect "predict prints each class's accuracy" contains "$work/predict.txt" "Ankle boot"
expect "predict prints the confusion matrix" contains "$work/predict.txt" "confusion matrix (rows: true class"
expect "confusion.svg is an SVG picture" contains "$run/confusion.svg" "<svg"
expect "predictions.csv has a header and 300 rows" test "$(wc -l <"$run/predictions.csv")" -eq 301
expect "predictions.csv's header" test "$(head -n 1 "$run/predictions.csv")" = \
  "index,label,predicted,p_0,p_1,p_2,p_3,p_4,p_5,p_6,p_7,p_8,p_9"

"$predict" "$run/model.tgm" --num-test 300 --out "$work/elsewhere" >"$work/predict_file.txt" 2>&1
expect "predict on the model file with --out exits 0" test $? -eq 0
expect "--out gets confusion.svg and predictions.csv" \
  test -s "$work/elsewhere/confusion.svg" -a -s "$work/elsewhere/predictions.csv"

# The first three test images as PGM, PNG and an IDX file of all three.
"$python" - "$work" <<'PY'
import gzip, struct, sys, zlib
folder = sys.argv[1]
data = gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").read()
image = lambda k: data[16 + 784 * k:16 + 784 * (k + 1)]
open(f"{folder}/zero.pgm", "wb").write(b"P5\n# test image 0\n28 28\n255\n" + image(0))
def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
rows = b"".join(b"\x00" + image(1)[28 * r:28 * (r + 1)] for r in range(28))
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0))
       + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
open(f"{folder}/one.png", "wb").write(png)
open(f"{folder}/three-idx3-ubyte", "wb").write(data[:4] + struct.pack(">I", 3) + data[8:16 + 784 * 3])
open(f"{folder}/small.pgm", "wb").write(b"P5 10 10 255\n" + bytes(100))
PY
"$predict" "$run" --images "$work/zero.pgm" "$work/one.png" "$work/three-idx3-ubyte" \
  >"$work/images.txt" 2>&1
expect "--images exits 0" test $? -eq 0
expect "--images prints one line per image (1 + 1 + 3)" test "$(wc -l <"$work/images.txt")" -eq 5
# Each image gets the class predictions.csv gave the same test image.
names=("T-shirt/top" "Trouser" "Pullover" "Dress" "Coat" "Sandal" "Shirt" "Sneaker" "Bag" "Ankle boot")
predicted() { sed -n "$(($1 + 2))p" "$run/predictions.csv" | cut -d, -f3; }
for line in "zero.pgm:0" "one.png:1" "three-idx3-ubyte[0]:0" "three-idx3-ubyte[2]:2"; do
  file=${line%:*}
  index=${line##*:}
  expect "$file is classified as test image $index (${names[$(predicted "$index")]})" \
    contains_text "$work/images.txt" "$file: ${names[$(predicted "$index")]} ("
done

"$predict" "$work/nowhere" >"$work/missing.txt" 2>&1
expect "a missing model exits 1" test $? -eq 1
expect "a missing model is named" contains "$work/missing.txt" "$work/nowhere"

"$predict" "$run/checkpoint.tgck" >"$work/checkpoint.txt" 2>&1
expect "a checkpoint given as the model exits 1" test $? -eq 1
expect "a checkpoint is named for what it is" \
  contains "$work/checkpoint.txt" "a tapegrad checkpoint, not a model file"

cp "$run/model.tgm" "$work/flipped.tgm"
printf '\xff' | dd of="$work/flipped.tgm" bs=1 seek=100 conv=notrunc 2>/dev/null
"$predict" "$work/flipped.tgm" >"$work/flipped.txt" 2>&1
expect "a damaged model file exits 1" test $? -eq 1
expect "a damaged model file fails its checksum" contains "$work/flipped.txt" "checksum mismatch"

head -c 1000 "$run/model.tgm" >"$work/cut.tgm"
"$predict" "$work/cut.tgm" >"$work/cut.txt" 2>&1
expect "a truncated model file exits 1" test $? -eq 1
expect "a truncated model file is named" contains "$work/cut.txt" "$work/cut.tgm: byte 16"

"$predict" "$run" --images "$work/small.pgm" >"$work/small.txt" 2>&1
expect "an image of another size exits 1" test $? -eq 1
expect "an image of another size says both sizes" \
  contains "$work/small.txt" "the image is 10x10, the model takes 28x28"

"$predict" "$run" --data mnist >"$work/mnist.txt" 2>&1
expect "--data mnist without --data-dir exits 1" test $? -eq 1
expect "--data mnist without --data-dir says so" contains "$work/mnist.txt" "needs --data-dir"

if [[ $failures -ne 0 ]]; then
  echo "$failures checks failed; outputs in $work"
  for f in "$work"/*.txt; do echo "== $f"; tail -5 "$f"; done
  exit 1
fi
echo "all checks passed"
