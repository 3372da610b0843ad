#!/usr/bin/env bash
# Same bits for any thread count, end to end: tools/train with --threads 1, 2
# and 7 leaves byte-identical parameters and histories, for the cnn with
# spatial batch norm and for the fc net with batch norm and dropout. (Any
# reduction whose order follows the thread count, e.g. per-thread partial
# sums in a conv backward or a GEMM threaded by Eigen, fails this.) Whoever
# reworks a kernel keeps this green; //tests/graph:threads_test checks the
# kernels one by one.
set -uo pipefail

train="$PWD/$1"
work="${TEST_TMPDIR:-/tmp}/threads_tool_test"
rm -rf "$work"
mkdir -p "$work"
python3 "$2" /usr/share/datasets/fashion-mnist "$work/data" 1000 100 || exit 1
failures=0

common=(--data-dir "$work/data" --num-train 640 --num-val 200 --num-test 100 --epochs 2 --seed 7)  # 10 iterations an epoch
models=(
  "cnn:--model cnn --filters 8 --hidden 32 --filter-size 5"
  "fc:--model fc --hidden-dims 300,200 --keep-prob 0.7 --lr 3e-3"
)
for entry in "${models[@]}"; do
  name="${entry%%:*}"
  read -r -a flags <<<"${entry#*:}"
  for threads in 1 2 7; do
    if ! "$train" "${common[@]}" "${flags[@]}" --threads "$threads" --out "$work/$name-$threads" \
      >"$work/$name-$threads.txt" 2>&1; then
      echo "FAILED: $name with $threads threads did not train:"; tail -3 "$work/$name-$threads.txt"
      failures=$((failures + 1))
    fi
  done
  for threads in 2 7; do
    differ=()
    for file in "$work/$name-1/params/"*.npy "$work/$name-1/history.csv"; do
      other="$work/$name-$threads/${file#"$work/$name-1/"}"
      cmp -s "$file" "$other" || differ+=("$(basename "$file")")
    done
    count=$(ls "$work/$name-1/params/"*.npy | wc -l)
    if [[ ${#differ[@]} -eq 0 && $count -ge 6 ]]; then
      echo "ok: $name: $threads threads give the bits of 1 thread ($count parameter files, history.csv)"
    else
      echo "FAILED: $name: $threads threads differ from 1 thread in: ${differ[*]:-(no parameters?)}"
      failures=$((failures + 1))
    fi
  done
done

echo "$failures failed"
test "$failures" -eq 0
