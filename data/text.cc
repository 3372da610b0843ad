#include "data/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "graph/errors.h"
#include "graph/rng.h"
#include "io/file_error.h"
#include "io/read_file.h"
#include "io/utf8.h"

namespace tg {
namespace {

// The symbol at position j of row i, and the counting loop over the
// predicted positions (value != padding) with their previous symbol.
template <class Visit>
void for_each_prediction(const Tensor& sequences, Visit visit) {
  const std::int64_t rows = sequences.dim(0), length = sequences.dim(1);
  const float* s = sequences.data<float>();
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 1; j < length; ++j) {
      const auto target = static_cast<std::int64_t>(s[i * length + j]);
      if (target == CharVocabulary::kPad) break;
      visit(static_cast<std::int64_t>(s[i * length + j - 1]), target);
    }
  }
}

void check_sequences(const char* what, const Tensor& t, std::int64_t vocabulary_size) {
  if (!t.defined() || t.rank() != 2 || t.dtype() != DType::f32 || t.numel() == 0) {
    throw ArgumentError(
        fmt::format("ngram_bits_per_symbol: {} must be float32 sequences (N, L), got {}", what,
                    t.defined() ? t.shape().str() : "undefined"));
  }
  for (std::int64_t k = 0; k < t.numel(); ++k) {
    const float v = t.data<float>()[k];
    if (!(v >= 0 && v < static_cast<float>(vocabulary_size)) || v != std::floor(v)) {
      throw ArgumentError(fmt::format(
          "ngram_bits_per_symbol: {} holds {} at flat index {}, not a symbol in [0, {})", what, v,
          k, vocabulary_size));
    }
  }
}

}  // namespace

std::vector<std::u32string> read_word_list(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  std::vector<std::u32string> words;
  std::size_t start = 0;
  std::int64_t line = 1;
  while (start < bytes.size()) {
    std::size_t end = start;
    while (end < bytes.size() && bytes[end] != '\n') ++end;
    std::string_view text(reinterpret_cast<const char*>(bytes.data()) + start, end - start);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (!text.empty()) {
      try {
        words.push_back(decode_utf8(text));
      } catch (const ArgumentError& e) {
        fail_at_byte(path, start, "line {}: {}", line, e.what());
      }
    }
    start = end + 1;
    ++line;
  }
  if (words.empty()) fail_file(path, "no words (one word per line expected)");
  return words;
}

WordSplits split_words(std::vector<std::u32string> words, std::int64_t num_val,
                       std::uint64_t seed) {
  const auto n = static_cast<std::int64_t>(words.size());
  if (num_val <= 0 || num_val >= n) {
    throw ArgumentError(fmt::format(
        "split_words: num_val must be in [1, {}) to leave words for training, got {}", n, num_val));
  }
  Rng rng(seed);
  for (std::int64_t i = n - 1; i > 0; --i) {
    std::swap(words[i], words[rng.below(static_cast<std::uint64_t>(i + 1))]);
  }
  WordSplits splits;
  splits.val.assign(std::make_move_iterator(words.end() - num_val),
                    std::make_move_iterator(words.end()));
  words.resize(static_cast<std::size_t>(n - num_val));
  splits.train = std::move(words);
  return splits;
}

CharVocabulary CharVocabulary::of_words(const std::vector<std::u32string>& words) {
  std::u32string alphabet;
  for (const std::u32string& word : words) alphabet += word;
  std::sort(alphabet.begin(), alphabet.end());
  alphabet.erase(std::unique(alphabet.begin(), alphabet.end()), alphabet.end());
  return CharVocabulary(std::move(alphabet));
}

CharVocabulary::CharVocabulary(std::u32string alphabet) : alphabet_(std::move(alphabet)) {
  for (std::size_t k = 0; k < alphabet_.size(); ++k) {
    const char32_t c = alphabet_[k];
    if (c == U'\n')
      throw ArgumentError("CharVocabulary: the alphabet has a newline (the boundary)");
    if (!index_.emplace(c, static_cast<std::int64_t>(k) + 2).second) {
      throw ArgumentError(fmt::format("CharVocabulary: '{}' appears twice in the alphabet",
                                      encode_utf8(std::u32string(1, c))));
    }
  }
}

std::int64_t CharVocabulary::index(char32_t c) const {
  const auto found = index_.find(c);
  if (found == index_.end()) {
    throw ArgumentError(fmt::format("CharVocabulary: '{}' (U+{:04X}) is not in the alphabet",
                                    encode_utf8(std::u32string(1, c)),
                                    static_cast<std::uint32_t>(c)));
  }
  return found->second;
}

std::int64_t longest_word(const std::vector<std::u32string>& words) {
  std::size_t longest = 0;
  for (const std::u32string& word : words) longest = std::max(longest, word.size());
  return static_cast<std::int64_t>(longest);
}

Tensor encode_words(const std::vector<std::u32string>& words, const CharVocabulary& vocabulary,
                    std::int64_t length) {
  const auto n = static_cast<std::int64_t>(words.size());
  if (n == 0) throw ArgumentError("encode_words: no words");
  if (longest_word(words) + 2 > length) {
    throw ArgumentError(fmt::format(
        "encode_words: length {} cannot hold the longest word ({} characters) and its two "
        "boundaries",
        length, longest_word(words)));
  }
  Tensor out = Tensor::zeros({n, length});  // kPad is 0
  float* row = out.data<float>();
  for (const std::u32string& word : words) {
    row[0] = static_cast<float>(CharVocabulary::kBoundary);
    for (std::size_t k = 0; k < word.size(); ++k) {
      row[k + 1] = static_cast<float>(vocabulary.index(word[k]));
    }
    row[word.size() + 1] = static_cast<float>(CharVocabulary::kBoundary);
    row += length;
  }
  return out;
}

NgramBits ngram_bits_per_symbol(const Tensor& train, const Tensor& eval,
                                std::int64_t vocabulary_size) {
  check_sequences("train", train, vocabulary_size);
  check_sequences("eval", eval, vocabulary_size);
  const std::int64_t v = vocabulary_size;
  const auto outcomes = static_cast<double>(v - 1);  // every symbol but padding
  std::vector<double> unigram(static_cast<std::size_t>(v), 0.0);
  std::vector<double> bigram(static_cast<std::size_t>(v * v), 0.0);
  std::vector<double> context(static_cast<std::size_t>(v), 0.0);
  double total = 0;
  for_each_prediction(train, [&](std::int64_t prev, std::int64_t target) {
    unigram[target] += 1;
    bigram[prev * v + target] += 1;
    context[prev] += 1;
    total += 1;
  });
  NgramBits bits{0, 0, 0};
  for_each_prediction(eval, [&](std::int64_t prev, std::int64_t target) {
    bits.unigram -= std::log2((unigram[target] + 1) / (total + outcomes));
    bits.bigram -= std::log2((bigram[prev * v + target] + 1) / (context[prev] + outcomes));
    ++bits.symbols;
  });
  if (bits.symbols == 0) throw ArgumentError("ngram_bits_per_symbol: eval predicts no symbol");
  bits.unigram /= static_cast<double>(bits.symbols);
  bits.bigram /= static_cast<double>(bits.symbols);
  return bits;
}

}  // namespace tg
