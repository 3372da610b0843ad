// A character-level language model (the course's CaptioningRNN without the
// image): symbols through an embedding (W_embed), an LSTM from a zero state,
// a temporal affine layer to scores over the symbols (W_vocab, b_vocab), and
// the temporal softmax loss of every next symbol, padding masked. Its
// children: embed (an Embedding), lstm (an LSTM), vocab (a Linear on the last
// axis).
//
// Symbols: 0 padding, 1 the word boundary, 2... the alphabet's characters
// (data/text.h's CharVocabulary uses the same numbering). A batch x (N, L)
// holds one sequence per row, <boundary> c_1 ... c_k <boundary> <pad>...,
// as float values: the model reads its first T symbols, T + 1 the length of
// the longest row without its padding, and predicts each next one. The
// targets are x itself shifted by one step, so loss() ignores its labels.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "graph/rng.h"
#include "nn/module.h"
#include "nn/recurrent.h"

namespace tg {

struct CharRnnOptions {
  // The characters of symbols 2, 3, ...; vocab_size() = alphabet.size() + 2.
  std::u32string alphabet;
  std::int64_t embed_dim = 64;
  std::int64_t hidden_dim = 256;
  double reg = 0.0;
  DType dtype = DType::f32;
  std::uint64_t seed = 0;
};

class CharRNN : public Module {
 public:
  static constexpr std::int64_t kPad = 0;
  static constexpr std::int64_t kBoundary = 1;

  explicit CharRNN(const CharRnnOptions& options);
  // From config(): for model files (models/model_file.h). Throws
  // ArgumentError naming the model or "config" for a bad configuration.
  static std::shared_ptr<CharRNN> from_config(const ModelConfig& config);

  // The scores (N, T, V) of the next symbol after each of the first T symbols.
  Var forward(const Var& x) override;
  std::string type() const override { return "CharRNN"; }
  // The alphabet (its code points), sizes, reg and dtype; not the seed.
  ModelConfig config() const override;
  const CharRnnOptions& options() const { return options_; }
  std::int64_t vocab_size() const {
    return static_cast<std::int64_t>(options_.alphabet.size()) + 2;
  }

  // Next-symbol predictions: one per predicted step of the batch.
  Predictions count_correct(const Tensor& scores, const Tensor& x, const Labels& y) const override;

  // Bits per predicted symbol (the mean of -log2 p(next symbol) over every
  // character and every closing boundary) of the sequences, evaluated in
  // batches without recording gradients.
  double bits_per_symbol(const Tensor& sequences, std::int64_t batch_size = 256);

  // seed_text (UTF-8, from the alphabet) followed by `length` symbols drawn
  // one at a time from softmax(scores / temperature) (padding never), after a
  // boundary and seed_text; a drawn boundary is written as a newline, so the
  // text is words, one per line. Throws ArgumentError for a character outside
  // the alphabet, length < 0 or a temperature that is not > 0.
  std::string sample(const std::string& seed_text, std::int64_t length, double temperature,
                     Rng& rng);

  // One word: seed_text followed by symbols drawn as sample() draws them
  // until the model draws a boundary (complete) or max_length symbols are
  // drawn (cut off). The same errors as sample().
  struct Word {
    std::string text;  // UTF-8, without the boundary
    bool complete;
  };
  Word sample_word(const std::string& seed_text, std::int64_t max_length, double temperature,
                   Rng& rng);

 protected:
  // The temporal softmax loss of x's next symbols (the labels are unused).
  Var data_loss(const Var& scores, const Tensor& x, const Labels& y) override;

 private:
  // sample() and sample_word(): `length` draws, or up to the first boundary.
  Word draw(const std::string& seed_text, std::int64_t length, double temperature, Rng& rng,
            bool stop_at_boundary);

  CharRnnOptions options_;
  std::unordered_map<char32_t, std::int64_t> index_;  // character -> symbol
  Parameter w_embed_;                                 // embed.weight
  std::vector<Parameter> cell_;                       // lstm.Wx, lstm.Wh, lstm.b
  Parameter w_vocab_, b_vocab_;                       // vocab.weight, vocab.bias
};

}  // namespace tg
