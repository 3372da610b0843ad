#!/usr/bin/env bash
# tools/example_model, the README's model of one's own, trains for real: one
# epoch on 2000 Fashion-MNIST images must beat chance (10%) by far.
set -uo pipefail

output=$("$PWD/$1" 2000 1 2>&1)
status=$?
echo "$output" | tail -3
[[ $status -eq 0 ]] || { echo "FAILED: exit status $status"; exit 1; }
accuracy=$(echo "$output" | sed -n 's/^test accuracy: \([0-9.]*\)$/\1/p')
[[ -n "$accuracy" ]] || { echo "FAILED: no test accuracy printed"; exit 1; }
if awk -v a="$accuracy" 'BEGIN { exit !(a >= 0.6) }'; then
  echo "ok: test accuracy $accuracy >= 0.6"
else
  echo "FAILED: test accuracy $accuracy < 0.6"
  exit 1
fi
