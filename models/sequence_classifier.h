// A sequence classifier: the input sequence (word indices through an
// embedding, or feature vectors as they are) runs through a recurrent layer
// (RNN, LSTM or GRU) from a zero state; the last step's hidden state goes
// through an affine layer to the class scores; softmax loss.
//
// A Sequential of layer modules: [embed,] rnn | lstm | gru, last, fc.
//
// Fashion-MNIST row by row (tools/train --model lstm): images (N, 1, 28, 28)
// are read as 28 steps of 28 pixels, input_dim = 28.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "nn/containers.h"
#include "nn/recurrent_layer.h"

namespace tg {

struct SequenceClassifierOptions {
  CellKind cell = CellKind::lstm;
  // Features per step, D. Without a vocabulary, x (N, ...) holds T steps of
  // D features each (T = its features / D); with one, the embedding size.
  std::int64_t input_dim = 28;
  // > 0: x (N, T) holds word indices in [0, vocab_size), embedded (W_embed).
  std::int64_t vocab_size = 0;
  std::int64_t hidden_dim = 128;
  std::int64_t num_classes = 10;
  double reg = 0.0;
  DType dtype = DType::f32;
  std::uint64_t seed = 0;
};

class SequenceClassifier : public Sequential {
 public:
  explicit SequenceClassifier(const SequenceClassifierOptions& options);
  // From config(): for model files (models/model_file.h). Throws
  // ArgumentError naming the model or "config" for a bad configuration.
  static std::shared_ptr<SequenceClassifier> from_config(const ModelConfig& config);

  // Class scores (N, num_classes).
  Var forward(const Var& x) override;
  std::string type() const override { return "SequenceClassifier"; }
  // The architecture's options (cell, sizes, reg, dtype), not the seed.
  ModelConfig config() const override;
  const SequenceClassifierOptions& options() const { return options_; }

 private:
  SequenceClassifierOptions options_;
};

}  // namespace tg
