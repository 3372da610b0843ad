#include "nn/normalization.h"

#include <cmath>

#include "graph/checks.h"
#include "ops/layers/groupnorm.h"
#include "ops/layers/layernorm.h"
#include "ops/shape/reshape.h"

namespace tg {
namespace {

void check_eps(const char* op, double eps) {
  if (!(eps > 0) || !std::isfinite(eps)) fail(op, "eps must be a finite number > 0, got {}", eps);
}

}  // namespace

LayerNorm::LayerNorm(std::int64_t features, double eps, DType dtype)
    : features_(features), eps_(eps) {
  if (features < 1) fail("LayerNorm", "the number of features must be positive, got {}", features);
  check_eps("LayerNorm", eps);
  gamma_ = register_parameter("gamma", Tensor::ones({features}, dtype));
  beta_ = register_parameter("beta", Tensor::zeros({features}, dtype));
}

std::shared_ptr<LayerNorm> LayerNorm::from_config(const ModelConfig& config) {
  return std::make_shared<LayerNorm>(config.get_int("features"), config.get_real("eps"),
                                     config.get_dtype("dtype"));
}

Var LayerNorm::forward(const Var& x) {
  const Shape& s = x.shape();
  if (s.rank() < 2 || s[s.rank() - 1] != features_) {
    fail(prefix() + "LayerNorm", "expects (..., {}) with at least two axes, got shape {}",
         features_, s.str());
  }
  if (s.rank() == 2) return layernorm(x, gamma_, beta_, eps_);
  // Every vector along the last axis is one example of the (rows, D) op.
  const Var rows = reshape(x, {-1, features_});
  return reshape(layernorm(rows, gamma_, beta_, eps_), s.to_vector());
}

ModelConfig LayerNorm::config() const {
  ModelConfig config;
  config.set_int("features", features_)
      .set_real("eps", eps_)
      .set_dtype("dtype", gamma_.value().dtype());
  return config;
}

std::vector<LayerSpec> LayerNorm::layer_specs() const {
  return {{"layernorm", {{"gamma", gamma_.name()}, {"beta", beta_.name()}}, {{"eps", eps_}}}};
}

GroupNorm::GroupNorm(std::int64_t groups, std::int64_t channels, double eps, DType dtype)
    : groups_(groups), channels_(channels), eps_(eps) {
  if (groups < 1 || channels < 1 || channels % groups != 0) {
    fail("GroupNorm", "channels ({}) must be a positive multiple of groups ({})", channels, groups);
  }
  check_eps("GroupNorm", eps);
  gamma_ = register_parameter("gamma", Tensor::ones({channels}, dtype));
  beta_ = register_parameter("beta", Tensor::zeros({channels}, dtype));
}

std::shared_ptr<GroupNorm> GroupNorm::from_config(const ModelConfig& config) {
  return std::make_shared<GroupNorm>(config.get_int("groups"), config.get_int("channels"),
                                     config.get_real("eps"), config.get_dtype("dtype"));
}

Var GroupNorm::forward(const Var& x) {
  return spatial_groupnorm(x, gamma_, beta_, {groups_, eps_});
}

ModelConfig GroupNorm::config() const {
  ModelConfig config;
  config.set_int("groups", groups_)
      .set_int("channels", channels_)
      .set_real("eps", eps_)
      .set_dtype("dtype", gamma_.value().dtype());
  return config;
}

std::vector<LayerSpec> GroupNorm::layer_specs() const {
  return {{"groupnorm",
           {{"gamma", gamma_.name()}, {"beta", beta_.name()}},
           {{"groups", static_cast<double>(groups_)}, {"eps", eps_}}}};
}

}  // namespace tg
