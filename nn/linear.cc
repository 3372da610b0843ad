#include "nn/linear.h"

#include "graph/checks.h"
#include "ops/layers/linear.h"
#include "ops/math/matmul.h"
#include "ops/shape/reshape.h"

namespace tg {

Linear::Linear(std::int64_t in_features, std::int64_t out_features, const LinearOptions& options,
               Rng& rng)
    : in_(in_features), out_(out_features) {
  init(options, rng);
}

Linear::Linear(std::int64_t in_features, std::int64_t out_features, const LinearOptions& options)
    : in_(in_features), out_(out_features) {
  Rng rng(0);
  init(options, rng);
}

void Linear::init(const LinearOptions& options, Rng& rng) {
  if (in_ < 1 || out_ < 1) {
    fail("Linear", "in_features and out_features must be positive, got {} and {}", in_, out_);
  }
  check_weight_init("Linear", options.init);
  last_axis_ = options.last_axis;
  weight_ =
      register_parameter("weight", init_weight({in_, out_}, in_, options.init, options.dtype, rng),
                         /*regularized=*/true);
  if (options.bias) bias_ = register_parameter("bias", Tensor::zeros({out_}, options.dtype));
}

std::shared_ptr<Linear> Linear::from_config(const ModelConfig& config) {
  LinearOptions options;
  options.bias = config.get_bool("bias");
  options.last_axis = config.get_bool("last_axis");
  options.dtype = config.get_dtype("dtype");
  return std::make_shared<Linear>(config.get_int("in_features"), config.get_int("out_features"),
                                  options);
}

Var Linear::forward(const Var& x) {
  const Shape& s = x.shape();
  if (last_axis_) {
    if (s.rank() < 2 || s[s.rank() - 1] != in_) {
      fail(prefix() + "Linear", "expects (..., {}) with at least two axes, got shape {}", in_,
           s.str());
    }
    std::vector<std::int64_t> out_shape = s.to_vector();
    out_shape.back() = out_;
    const Var rows = reshape(x, {-1, in_});
    return reshape(bias_.defined() ? linear(rows, weight_, bias_) : matmul(rows, weight_),
                   out_shape);
  }
  if (s.rank() < 2 || s.numel_after_first() != in_) {
    fail(prefix() + "Linear", "expects (N, ...) with {} features per example, got shape {}", in_,
         s.str());
  }
  if (bias_.defined()) return linear(x, weight_, bias_);
  return matmul(flatten(x), weight_);
}

ModelConfig Linear::config() const {
  ModelConfig config;
  config.set_int("in_features", in_)
      .set_int("out_features", out_)
      .set_bool("bias", bias_.defined())
      .set_bool("last_axis", last_axis_)
      .set_dtype("dtype", weight_.value().dtype());
  return config;
}

std::vector<LayerSpec> Linear::layer_specs() const {
  LayerSpec spec{last_axis_ ? "linear_last_axis" : "linear", {{"w", weight_.name()}}, {}};
  if (bias_.defined()) spec.tensors.push_back({"b", bias_.name()});
  return {spec};
}

}  // namespace tg
