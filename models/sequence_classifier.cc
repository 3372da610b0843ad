#include "models/sequence_classifier.h"

#include <cctype>
#include <cmath>

#include "graph/checks.h"
#include "ops/layers/linear.h"
#include "ops/recurrent/word_embedding.h"
#include "ops/shape/reshape.h"
#include "ops/shape/slice.h"

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

std::unique_ptr<SequenceClassifier> SequenceClassifier::from_config(const ModelConfig& config) {
  SequenceClassifierOptions o;
  o.cell = parse_cell_kind("config", config.get_string("cell"));
  o.input_dim = config.get_int("input_dim");
  o.vocab_size = config.get_int("vocab_size");
  o.hidden_dim = config.get_int("hidden_dim");
  o.num_classes = config.get_int("num_classes");
  o.reg = config.get_real("reg");
  o.dtype = config.get_dtype("dtype");
  check_options(o);
  const std::int64_t gates = o.cell == CellKind::lstm ? 4 : o.cell == CellKind::gru ? 3 : 1;
  const std::int64_t d = o.input_dim, h = o.hidden_dim, width = gates * h;
  std::vector<std::vector<std::int64_t>> shapes = {
      {d, width}, {h, width}, {width}, {h, o.num_classes}, {o.num_classes}};
  if (o.cell == CellKind::gru) shapes.push_back({width});
  if (o.vocab_size > 0) shapes.push_back({o.vocab_size, d});
  config.check_allocation(kName, shapes, o.dtype);
  return std::make_unique<SequenceClassifier>(o);
}

ModelConfig SequenceClassifier::config() const {
  ModelConfig config;
  config.set_string("cell", name_of(options_.cell))
      .set_int("input_dim", options_.input_dim)
      .set_int("vocab_size", options_.vocab_size)
      .set_int("hidden_dim", options_.hidden_dim)
      .set_int("num_classes", options_.num_classes)
      .set_real("reg", reg())
      .set_dtype("dtype", dtype());
  return config;
}

std::vector<LayerSpec> SequenceClassifier::layers() const {
  std::vector<LayerSpec> specs;
  if (options_.vocab_size > 0) specs.push_back({"word_embedding", {{"w", "W_embed"}}, {}});
  LayerSpec cell{
      name_of(options_.cell), {}, {{"input_dim", static_cast<double>(options_.input_dim)}}};
  for (const Parameter& w : cell_) {
    std::string role = w.name();
    role[0] = static_cast<char>(std::tolower(role[0]));  // Wx -> wx, Wh -> wh
    cell.tensors.push_back({role, w.name()});
  }
  specs.push_back(cell);
  specs.push_back({"last_step", {}, {}});
  specs.push_back({"linear", {{"w", "W_out"}, {"b", "b_out"}}, {}});
  return specs;
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
