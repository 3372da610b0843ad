#include "nn/recurrent.h"

#include <cctype>

#include "graph/checks.h"
#include "ops/recurrent/word_embedding.h"
#include "ops/shape/reshape.h"
#include "ops/shape/slice.h"

namespace tg {

Embedding::Embedding(std::int64_t vocab_size, std::int64_t dim, DType dtype, Rng& rng)
    : vocab_size_(vocab_size), dim_(dim) {
  init(dtype, rng);
}

Embedding::Embedding(std::int64_t vocab_size, std::int64_t dim, DType dtype)
    : vocab_size_(vocab_size), dim_(dim) {
  Rng rng(0);
  init(dtype, rng);
}

void Embedding::init(DType dtype, Rng& rng) {
  if (vocab_size_ < 1 || dim_ < 1) {
    fail("Embedding", "vocab_size and dim must be positive, got {} and {}", vocab_size_, dim_);
  }
  weight_ = register_parameter("weight", Tensor::randn({vocab_size_, dim_}, rng, dtype, 0, 0.1),
                               /*regularized=*/true);
}

std::shared_ptr<Embedding> Embedding::from_config(const ModelConfig& config) {
  return std::make_shared<Embedding>(config.get_int("vocab_size"), config.get_int("dim"),
                                     config.get_dtype("dtype"));
}

Var Embedding::forward(const Var& x) {
  return word_embedding(word_indices(prefix() + "Embedding", x.value()), x.tape().param(weight_));
}

ModelConfig Embedding::config() const {
  ModelConfig config;
  config.set_int("vocab_size", vocab_size_)
      .set_int("dim", dim_)
      .set_dtype("dtype", weight_.value().dtype());
  return config;
}

std::vector<LayerSpec> Embedding::layer_specs() const {
  return {{"word_embedding", {{"w", weight_.name()}}, {}}};
}

Recurrent::Recurrent(CellKind kind, std::int64_t input_dim, std::int64_t hidden_dim, DType dtype,
                     Rng& rng)
    : kind_(kind), input_dim_(input_dim), hidden_dim_(hidden_dim) {
  if (input_dim < 1 || hidden_dim < 1) {
    fail(name_of(kind), "input_dim and hidden_dim must be positive, got {} and {}", input_dim,
         hidden_dim);
  }
  for (RecurrentWeight& w : init_recurrent_weights(kind, input_dim, hidden_dim, dtype, rng)) {
    weights_.push_back(register_parameter(w.name, std::move(w.value), w.regularized));
  }
}

std::shared_ptr<Recurrent> recurrent_from_config(CellKind kind, const ModelConfig& config) {
  const std::int64_t d = config.get_int("input_dim"), h = config.get_int("hidden_dim");
  const DType dtype = config.get_dtype("dtype");
  Rng rng(0);
  switch (kind) {
    case CellKind::rnn:
      return std::make_shared<RNN>(d, h, dtype, rng);
    case CellKind::lstm:
      return std::make_shared<LSTM>(d, h, dtype, rng);
    case CellKind::gru:
      break;
  }
  return std::make_shared<GRU>(d, h, dtype, rng);
}

Var Recurrent::forward(const Var& x) {
  const Shape& s = x.shape();
  if (s.rank() != 3 || s[2] != input_dim_ || s[0] < 1 || s[1] < 1) {
    fail(prefix() + type(), "expects sequences (N, T, {}), got shape {}", input_dim_, s.str());
  }
  const Var h0 = x.tape().constant(Tensor::zeros({s[0], hidden_dim_}, x.value().dtype()));
  return recurrent_layer(kind_, x, h0, weights_);
}

ModelConfig Recurrent::config() const {
  ModelConfig config;
  config.set_int("input_dim", input_dim_)
      .set_int("hidden_dim", hidden_dim_)
      .set_dtype("dtype", weights_.front().value().dtype());
  return config;
}

std::vector<LayerSpec> Recurrent::layer_specs() const {
  LayerSpec spec{name_of(kind_), {}, {{"input_dim", static_cast<double>(input_dim_)}}};
  for (const Parameter& w : weights_) {
    std::string role = w.name().substr(prefix().size());
    role[0] = static_cast<char>(std::tolower(role[0]));  // Wx -> wx, Wh -> wh
    spec.tensors.push_back({role, w.name()});
  }
  return {spec};
}

Var LastStep::forward(const Var& x) {
  const Shape& s = x.shape();
  if (s.rank() != 3 || s[1] < 1) {
    fail(prefix() + "LastStep", "expects (N, T, H) with T >= 1, got shape {}", s.str());
  }
  return reshape(slice(x, 1, s[1] - 1, s[1]), {s[0], s[2]});
}

}  // namespace tg
