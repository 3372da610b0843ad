#!/usr/bin/env bash
# tools/example_model, the README's model of one's own, trains for real: one
# epoch on 2000 Fashion-MNIST images must beat chance (10%) by far, and the
# run folder must hold the loss curves. Bad arguments exit non-zero, saying why.
set -uo pipefail

example="$PWD/$1"
run_folder="${TEST_TMPDIR:-/tmp}/example_run"
rm -rf "$run_folder"
failed=0
fail() { echo "FAILED: $*"; failed=1; }

output=$("$example" 2000 1 "$run_folder" 2>&1)
status=$?
echo "$output" | tail -3
[[ $status -eq 0 ]] || fail "exit status $status"
accuracy=$(echo "$output" | sed -n 's/^test accuracy: \([0-9.]*\)$/\1/p')
if [[ -z "$accuracy" ]]; then
  fail "no test accuracy printed"
elif awk -v a="$accuracy" 'BEGIN { exit !(a >= 0.6) }'; then
  echo "ok: test accuracy $accuracy >= 0.6"
else
  fail "test accuracy $accuracy < 0.6"
fi
for file in curves.svg history.csv epochs.csv history.json checkpoint.tgck params/conv.weight.npy; do
  [[ -s "$run_folder/$file" ]] && echo "ok: $file written" || fail "$run_folder/$file missing or empty"
done
grep -q "<svg" "$run_folder/curves.svg" || fail "curves.svg is not an SVG picture"

for args in "0 1" "12x 1" "100 -2" "1 2 3 4"; do
  # shellcheck disable=SC2086  # the arguments are split on purpose
  message=$("$example" $args 2>&1)
  status=$?
  if [[ $status -ne 0 && "$message" == *example_model* ]]; then
    echo "ok: '$args' refused: $message"
  else
    fail "'$args' gave exit status $status and '$message'"
  fi
done
exit $failed
