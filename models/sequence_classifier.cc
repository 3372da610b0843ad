#include "models/sequence_classifier.h"

#include <cctype>
#include <cmath>

#include "graph/checks.h"
#include "nn/linear.h"
#include "nn/recurrent.h"
#include "ops/shape/reshape.h"

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
  set_reg(options_.reg);
  Rng rng(options_.seed);
  const DType t = options_.dtype;
  const std::int64_t d = options_.input_dim, h = options_.hidden_dim;
  if (options_.vocab_size > 0)
    add("embed", std::make_shared<Embedding>(options_.vocab_size, d, t, rng));
  switch (options_.cell) {
    case CellKind::rnn:
      add("rnn", std::make_shared<RNN>(d, h, t, rng));
      break;
    case CellKind::lstm:
      add("lstm", std::make_shared<LSTM>(d, h, t, rng));
      break;
    case CellKind::gru:
      add("gru", std::make_shared<GRU>(d, h, t, rng));
      break;
  }
  add("last", std::make_shared<LastStep>());
  const WeightInit out_init{WeightInit::Kind::normal, 1.0 / std::sqrt(static_cast<double>(h))};
  add("fc",
      std::make_shared<Linear>(h, options_.num_classes, LinearOptions{true, out_init, t}, rng));
}

std::shared_ptr<SequenceClassifier> SequenceClassifier::from_config(const ModelConfig& config) {
  SequenceClassifierOptions o;
  o.cell = parse_cell_kind("config", config.get_string("cell"));
  o.input_dim = config.get_int("input_dim");
  o.vocab_size = config.get_int("vocab_size");
  o.hidden_dim = config.get_int("hidden_dim");
  o.num_classes = config.get_int("num_classes");
  o.reg = config.get_real("reg");
  o.dtype = config.get_dtype("dtype");
  return std::make_shared<SequenceClassifier>(o);
}

ModelConfig SequenceClassifier::config() const {
  ModelConfig config;
  config.set_string("cell", name_of(options_.cell))
      .set_int("input_dim", options_.input_dim)
      .set_int("vocab_size", options_.vocab_size)
      .set_int("hidden_dim", options_.hidden_dim)
      .set_int("num_classes", options_.num_classes)
      .set_real("reg", reg())
      .set_dtype("dtype", options_.dtype);
  return config;
}

Var SequenceClassifier::forward(const Var& x) {
  const Shape& shape = x.shape();
  if (shape.rank() < 2 || shape.numel() == 0) {
    fail(kName, "x must be a batch (N, ...) of sequences, got {}", shape.str());
  }
  if (options_.vocab_size > 0) return Sequential::forward(x);  // (N, T) word indices
  const std::int64_t n = shape[0], d = options_.input_dim;
  if (shape.numel_after_first() % d != 0) {
    fail(kName,
         "x {} must hold T steps of input_dim = {} features per example, but {} is not a "
         "multiple of {}",
         shape.str(), d, shape.numel_after_first(), d);
  }
  return Sequential::forward(reshape(x, {n, shape.numel_after_first() / d, d}));
}

}  // namespace tg
