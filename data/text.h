// Text for a character-level language model: a word list (Debian's
// wamerican: one word per line, UTF-8), its split into training and
// held-out words, a character vocabulary, the words as padded sequences of
// character indices, and the unigram and bigram baselines a model must beat.
//
// A word becomes the sequence <boundary> c_1 ... c_L <boundary> <pad>...: the
// model reads the sequence and predicts each next symbol, so every character
// and the word's end are predicted once (the padding never: it is masked).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "graph/tensor.h"

namespace tg {

// Debian's wamerican word list (104,334 words).
inline constexpr const char* kWordListPath = "/usr/share/dict/american-english";

// The words of a word list, one per line, as Unicode code points (empty
// lines skipped). Throws FileError naming the file when it is missing or
// unreadable, holds no word, or has invalid UTF-8 (naming the line).
std::vector<std::u32string> read_word_list(const std::string& path);

struct WordSplits {
  std::vector<std::u32string> train;
  std::vector<std::u32string> val;
};

// The words in a random order (a seeded Fisher-Yates shuffle), the last
// num_val of them held out. Throws ArgumentError unless 0 < num_val < size.
WordSplits split_words(std::vector<std::u32string> words, std::int64_t num_val, std::uint64_t seed);

// Symbols as integers: 0 padding, 1 the word boundary, then the alphabet.
class CharVocabulary {
 public:
  static constexpr std::int64_t kPad = 0;
  static constexpr std::int64_t kBoundary = 1;

  // The distinct characters of the words, in code point order.
  static CharVocabulary of_words(const std::vector<std::u32string>& words);
  // Throws ArgumentError for a repeated character or a newline (the boundary).
  explicit CharVocabulary(std::u32string alphabet);

  // All symbols: padding, boundary and the alphabet.
  std::int64_t size() const { return static_cast<std::int64_t>(alphabet_.size()) + 2; }
  const std::u32string& alphabet() const { return alphabet_; }
  // Throws ArgumentError for a character outside the alphabet.
  std::int64_t index(char32_t c) const;

 private:
  std::u32string alphabet_;
  std::unordered_map<char32_t, std::int64_t> index_;
};

// The words as rows of symbol indices (float32 values), (N, length): boundary,
// the characters, boundary, padding. Throws ArgumentError when a word does
// not fit (length < its size + 2) or has a character outside the vocabulary.
Tensor encode_words(const std::vector<std::u32string>& words, const CharVocabulary& vocabulary,
                    std::int64_t length);

// The longest word's size.
std::int64_t longest_word(const std::vector<std::u32string>& words);

// Bits per predicted symbol (each character and each word's closing boundary)
// of `eval`'s sequences under a unigram and a bigram model fitted on
// `train`'s, both with add-one smoothing over the symbols that can be
// predicted (every symbol but padding). Sequences as encode_words gives.
struct NgramBits {
  double unigram;
  double bigram;
  std::int64_t symbols;  // predicted in eval
};
NgramBits ngram_bits_per_symbol(const Tensor& train, const Tensor& eval,
                                std::int64_t vocabulary_size);

}  // namespace tg
