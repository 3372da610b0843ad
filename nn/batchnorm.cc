#include "nn/batchnorm.h"

#include "graph/checks.h"
#include "ops/layers/batchnorm.h"

namespace tg {

BatchNormBase::BatchNormBase(std::int64_t features, const BatchNormOptions& options)
    : features_(features) {
  if (features < 1) fail("BatchNorm", "the number of features must be positive, got {}", features);
  state_.eps = options.eps;
  state_.momentum = options.momentum;
  state_.running_mean = Tensor::zeros({features}, options.dtype);
  state_.running_var = Tensor::ones({features}, options.dtype);
  check_batchnorm_state("BatchNorm", state_, features, options.dtype);
  gamma_ = register_parameter("gamma", Tensor::ones({features}, options.dtype));
  beta_ = register_parameter("beta", Tensor::zeros({features}, options.dtype));
  register_buffer("running_mean", state_.running_mean);
  register_buffer("running_var", state_.running_var);
}

BatchNormOptions BatchNormBase::options_of(const ModelConfig& config) {
  BatchNormOptions options;
  options.eps = config.get_real("eps");
  options.momentum = config.get_real("momentum");
  options.dtype = config.get_dtype("dtype");
  return options;
}

ModelConfig BatchNormBase::config() const {
  ModelConfig config;
  config.set_int("features", features_)
      .set_real("eps", state_.eps)
      .set_real("momentum", state_.momentum)
      .set_dtype("dtype", gamma_.value().dtype());
  return config;
}

BatchNormState& BatchNormBase::state() {
  state_.mode = mode();
  state_.sync = batchnorm_sync();
  return state_;
}

LayerSpec BatchNormBase::spec(const char* op) const {
  return {op,
          {{"gamma", gamma_.name()},
           {"beta", beta_.name()},
           {"running_mean", prefix() + "running_mean"},
           {"running_var", prefix() + "running_var"}},
          {{"eps", state_.eps}}};
}

std::shared_ptr<BatchNorm1d> BatchNorm1d::from_config(const ModelConfig& config) {
  return std::make_shared<BatchNorm1d>(config.get_int("features"), options_of(config));
}

Var BatchNorm1d::forward(const Var& x) { return batchnorm(x, gamma_, beta_, state()); }

std::shared_ptr<BatchNorm2d> BatchNorm2d::from_config(const ModelConfig& config) {
  return std::make_shared<BatchNorm2d>(config.get_int("features"), options_of(config));
}

Var BatchNorm2d::forward(const Var& x) { return spatial_batchnorm(x, gamma_, beta_, state()); }

}  // namespace tg
