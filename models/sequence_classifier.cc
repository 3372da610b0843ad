#include "models/sequence_classifier.h"

#include <cmath>

#include "graph/checks.h"
#include "ops/linear.h"
#include "ops/reshape.h"
#include "ops/slice.h"
#include "ops/word_embedding.h"

namespace tg {
namespace {

constexpr char kName[] = "SequenceClassifier";

void check_options(const SequenceClassifierOptions& o) {
  if (o.input_dim < 1) fail(kName, "input_dim must be positive, got {}", o.input_dim);
  if (o.vocab_size < 0)
    fail(kName, "vocab_size must be >= 0 (0: no embedding), got {}", o.vocab_size);
  if (o.hidden_dim < 1) fail(kName, "hidden_dim must be positive, got {}", o.hidden_dim);
  if (o.num_classes < 2) fail(kName, "num_classes must be at least 2, got {}", o.num_classes);
}

}  // namespace

SequenceClassifier::SequenceClassifier(const SequenceClassifierOptions& options)
    : options_(options) {
  check_options(options_);
  set_dtype(options_.dtype);
  set_reg(options_.reg);
  seed_rng(options_.seed);
  Rng rng(options_.seed);
  const DType t = dtype();
  const std::int64_t d = options_.input_dim, h = options_.hidden_dim;
  if (options_.vocab_size > 0) {
    w_embed_ =
        add_parameter("W_embed", Tensor::randn({options_.vocab_size, d}, rng, t, 0, 0.1), true);
  }
  for (RecurrentWeight& w : init_recurrent_weights(options_.cell, d, h, t, rng)) {
    cell_.push_back(add_parameter(w.name, std::move(w.value), w.regularized));
  }
  w_out_ = add_parameter(
      "W_out",
      Tensor::randn({h, options_.num_classes}, rng, t, 0, 1.0 / std::sqrt(static_cast<double>(h))),
      true);
  b_out_ = add_parameter("b_out", Tensor::zeros({options_.num_classes}, t));
}

Var SequenceClassifier::forward(const Var& x) {
  const Shape& shape = x.shape();
  if (shape.rank() < 2 || shape.numel() == 0) {
    fail(kName, "x must be a batch (N, ...) of sequences, got {}", shape.str());
  }
  const std::int64_t n = shape[0], d = options_.input_dim, h = options_.hidden_dim;
  Var steps;
  if (options_.vocab_size > 0) {
    steps = word_embedding(word_indices(kName, x.value()), x.tape().param(w_embed_));  // (N, T, D)
  } else {
    if (shape.numel_after_first() % d != 0) {
      fail(kName,
           "x {} must hold T steps of input_dim = {} features per example, but {} is not a "
           "multiple of {}",
           shape.str(), d, shape.numel_after_first(), d);
    }
    steps = reshape(x, {n, shape.numel_after_first() / d, d});
  }
  const std::int64_t t = steps.shape()[1];
  const Var h0 = x.tape().constant(Tensor::zeros({n, h}, dtype()));
  const Var states = recurrent_layer(options_.cell, steps, h0, cell_);
  const Var last = reshape(slice(states, 1, t - 1, t), {n, h});
  return linear(last, w_out_, b_out_);
}

}  // namespace tg
