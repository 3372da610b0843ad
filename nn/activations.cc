#include "nn/activations.h"

#include <cmath>

#include "graph/checks.h"
#include "ops/layers/relu.h"
#include "ops/math/leaky_relu.h"
#include "ops/math/sigmoid.h"
#include "ops/math/tanh.h"

namespace tg {

Var ReLU::forward(const Var& x) { return relu(x); }

LeakyReLU::LeakyReLU(double slope) : slope_(slope) {
  if (!std::isfinite(slope)) fail("LeakyReLU", "slope must be finite, got {}", slope);
}

std::shared_ptr<LeakyReLU> LeakyReLU::from_config(const ModelConfig& config) {
  return std::make_shared<LeakyReLU>(config.get_real("slope"));
}

Var LeakyReLU::forward(const Var& x) { return leaky_relu(x, slope_); }

ModelConfig LeakyReLU::config() const {
  ModelConfig config;
  config.set_real("slope", slope_);
  return config;
}

std::shared_ptr<GELU> GELU::from_config(const ModelConfig& config) {
  return std::make_shared<GELU>(config.get_bool("tanh") ? GeluApproximation::tanh
                                                        : GeluApproximation::none);
}

Var GELU::forward(const Var& x) { return gelu(x, approximate_); }

ModelConfig GELU::config() const {
  ModelConfig config;
  config.set_bool("tanh", approximate_ == GeluApproximation::tanh);
  return config;
}

std::vector<LayerSpec> GELU::layer_specs() const {
  return {{"gelu", {}, {{"approximate", approximate_ == GeluApproximation::tanh ? 1.0 : 0.0}}}};
}

Var Tanh::forward(const Var& x) { return tanh(x); }

Var Sigmoid::forward(const Var& x) { return sigmoid(x); }

}  // namespace tg
