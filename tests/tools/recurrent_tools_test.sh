#!/usr/bin/env bash
# tools/train --model lstm and --model charlm, and tools/sample, end to end on
# tiny data (a few iterations each): the runs finish and leave their run
# folders, charlm reports validation bits per character beside the unigram and
# bigram baselines, a charlm run resumes, sample prints words of the alphabet,
# and bad flags are refused in plain words.
set -uo pipefail

train="$PWD/$1"
sample="$PWD/$2"
work="${TEST_TMPDIR:-/tmp}/recurrent_tools_test"
rm -rf "$work"
mkdir -p "$work"
python3 "$3" /usr/share/datasets/fashion-mnist "$work/data" 400 100 || exit 1
failures=0

expect() {  # expect DESCRIPTION CONDITION...
  local description="$1"
  shift
  if "$@"; then echo "ok: $description"; else echo "FAILED: $description"; failures=$((failures + 1)); fi
}

contains() { grep -q -- "$2" "$1"; }

# lstm: Fashion-MNIST row by row, 5 iterations.
"$train" --model lstm --data-dir "$work/data" --num-train 320 --num-val 64 --hidden 8 --epochs 1 \
  --out "$work/lstm" >"$work/lstm.txt" 2>&1
expect "lstm: a small run exits 0" test $? -eq 0
expect "lstm: it is the SequenceClassifier" contains "$work/lstm.txt" "^SequenceClassifier on Fashion-MNIST"
expect "lstm: it reports the test accuracy" contains "$work/lstm.txt" "^test accuracy [0-9.]* (best"
expect "lstm: --hidden 8 gives Wh (8, 32)" contains "$work/lstm/history.json" '"hidden":8'
for file in model.tgm checkpoint.tgck curves.svg history.json; do
  expect "lstm: the run folder has $file" test -s "$work/lstm/$file"
done

# A word list of 96 words: consonant, vowel, consonant, and plurals.
for a in b c d f; do for v in a e i o; do for e in t n s; do
  echo "$a$v$e"
  echo "$a$v${e}s"
done; done; done >"$work/words.txt"
charlm=(--model charlm --word-list "$work/words.txt" --num-val 16 --hidden 16 --batch-size 16)

"$train" "${charlm[@]}" --epochs 2 --out "$work/charlm" >"$work/charlm.txt" 2>&1
expect "charlm: a small run exits 0" test $? -eq 0
expect "charlm: it reports the baselines before training" \
  contains "$work/charlm.txt" "^baselines on the validation words: unigram [0-9.]*, bigram [0-9.]* bits per character"
expect "charlm: it reports validation bits per character beside the baselines" \
  contains "$work/charlm.txt" "^validation: [0-9.]* bits per character (unigram [0-9.]*, bigram [0-9.]*)"
expect "charlm: 80 train and 16 validation words" contains "$work/charlm.txt" "80 train / 16 val words"
expect "charlm: progress in words per second" contains "$work/charlm.txt" "words/s"
expect "charlm: history.json has the bits" contains "$work/charlm/history.json" '"val_bits_per_char"'
expect "charlm: history.json has the bigram baseline" contains "$work/charlm/history.json" '"bigram_bits_per_char"'
expect "charlm: gradients clipped to norm 5 by default" contains "$work/charlm/history.json" '"clip-grad-norm":5'
expect "charlm: the run folder has model.tgm" test -s "$work/charlm/model.tgm"

# Without --out the run folder is runs/words-charlm-<time>: charlm reads a word list, not --data's images.
mkdir -p "$work/cwd"
(cd "$work/cwd" && "$train" "${charlm[@]}" --epochs 1 >"$work/charlm_default.txt" 2>&1)
expect "charlm: the default run folder is runs/words-charlm-<time>" \
  contains "$work/charlm_default.txt" "^run folder: runs/words-charlm-[0-9-]*$"

"$train" --resume "$work/charlm" --epochs 3 >"$work/charlm_resume.txt" 2>&1
expect "charlm: a resumed run exits 0" test $? -eq 0
expect "charlm: a resumed run trains epoch 3" contains "$work/charlm_resume.txt" "epoch 3/3: train acc"

"$sample" "$work/charlm" --words 7 --seed 3 >"$work/sample.txt" 2>&1
expect "sample: exits 0" test $? -eq 0
expect "sample: prints 7 words" test "$(wc -l <"$work/sample.txt")" -eq 7
expect "sample: only characters of the word list" test "$(grep -c -v '^[abcdefinost.]*$' "$work/sample.txt")" -eq 0
"$sample" "$work/charlm/model.tgm" --words 3 --prefix ca --temperature 0.5 >"$work/prefix.txt" 2>&1
expect "sample --prefix: every word starts with it" test "$(grep -c '^ca' "$work/prefix.txt")" -eq 3
# A huge --max-length once drew that many symbols for every word, ended or
# not (it never printed): it is bounded, and a word ends at its boundary.
timeout 60 "$sample" "$work/charlm" --max-length 99999999999999999999 >"$work/huge.txt" 2>&1
status=$?
expect "sample --max-length 10^20: refused at once as a bad command line (exit $status)" test $status -eq 2
expect "sample --max-length 10^20: the flag is named" contains "$work/huge.txt" "max-length"
timeout 60 "$sample" "$work/charlm" --max-length 10001 >"$work/over.txt" 2>&1
expect "sample --max-length 10001: refused (exit 2)" test $? -eq 2
"$sample" "$work/charlm" --words 0 >"$work/words0.txt" 2>&1
expect "sample --words 0: exit 2 like train and plot" test $? -eq 2
expect "sample --words 0: 'sample: ... (see --help)'" contains "$work/words0.txt" "^sample: .*--words.*(see --help)"
timeout 120 "$sample" "$work/charlm" --words 50 --max-length 10000 --seed 4 >"$work/long.txt" 2>&1
expect "sample --max-length 10000: 50 words, each stopped at its end" test "$(wc -l <"$work/long.txt")" -eq 50
expect "sample --max-length 10000: words of a word list's length, not cut off" \
  test "$(awk 'length($0) > 100' "$work/long.txt" | wc -l)" -le 2
"$sample" "$work/charlm" --prefix cz >"$work/bad_prefix.txt" 2>&1
expect "sample --prefix with a character outside the alphabet: exit 1" test $? -eq 1
"$sample" "$work/lstm" >"$work/not_charlm.txt" 2>&1
expect "sample of an lstm run: exit 1" test $? -eq 1
expect "sample of an lstm run says it is no CharRNN" contains "$work/not_charlm.txt" "holds a SequenceClassifier, not a CharRNN"

cd "$work" || exit 1
refused() {  # refused NAME EXPECTED-MESSAGE FLAGS...: exit 2, the message, no folder
  local name="$1" message="$2"
  shift 2
  "$train" --out "$work/$name" "$@" >"$work/$name.txt" 2>&1
  local status=$?
  expect "$name: exit 2" test $status -eq 2
  expect "$name: says '$message'" contains "$work/$name.txt" "^train: $message"
  expect "$name: no run folder left" test ! -e "$work/$name" -a ! -e "$work/runs"
}
refused clip_negative "--clip-grad-norm must be a finite number, 0 or more, got -1" "${charlm[@]}" \
  --clip-grad-norm -1
refused charlm_images "--data mnist with --model charlm: the language model reads --word-list" \
  "${charlm[@]}" --data mnist
refused charlm_num_val "--num-val 96 leaves no training words: the word list .* has 96, and the validation words" \
  "${charlm[@]}" --num-val 96
"$train" --model charlm --word-list "$work/nowhere.txt" --out "$work/no_words" >"$work/no_words.txt" 2>&1
expect "a missing word list: exit 1" test $? -eq 1
expect "a missing word list is named" contains "$work/no_words.txt" "nowhere.txt"
cd - >/dev/null || exit 1

if [[ $failures -ne 0 ]]; then
  echo "$failures checks failed; outputs in $work"
  for f in "$work"/*.txt; do echo "== $f"; tail -5 "$f"; done
  exit 1
fi
echo "all checks passed"
