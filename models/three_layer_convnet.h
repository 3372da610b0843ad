// The seed's ThreeLayerConvNet: conv - [spatial batch norm] - relu - 2x2 max
// pool - affine - relu - affine - softmax. The conv keeps the input's height
// and width (stride 1, pad (filter_size - 1) / 2). A Sequential of layer
// modules: conv1, [bn1], relu1, pool1, fc2, relu2, fc3 (parameters
// conv1.weight, conv1.bias, bn1.gamma, ..., fc3.bias).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "nn/containers.h"
#include "nn/init.h"

namespace tg {

struct ThreeLayerConvNetOptions {
  std::array<std::int64_t, 3> input_dim = {3, 32, 32};  // (C, H, W)
  std::int64_t num_filters = 32;
  std::int64_t filter_size = 7;  // odd
  std::int64_t hidden_dim = 100;
  std::int64_t num_classes = 10;
  WeightInit init = {WeightInit::Kind::normal, 1e-3};
  double reg = 0.0;
  DType dtype = DType::f32;
  bool spatial_batchnorm = false;
  std::uint64_t seed = 0;
};

class ThreeLayerConvNet : public Sequential {
 public:
  explicit ThreeLayerConvNet(const ThreeLayerConvNetOptions& options);
  // From config(): for model files (models/model_file.h). Throws
  // ArgumentError naming the model or "config" for a bad configuration.
  static std::shared_ptr<ThreeLayerConvNet> from_config(const ModelConfig& config);

  // Checks that x is (N, C, H, W) of input_dim, then the layers.
  Var forward(const Var& x) override;
  std::string type() const override { return "ThreeLayerConvNet"; }
  // The architecture's options (sizes, batch norm, reg, dtype); not init or
  // the seed, which trained parameters no longer need.
  ModelConfig config() const override;
  const ThreeLayerConvNetOptions& options() const { return options_; }

 private:
  ThreeLayerConvNetOptions options_;
};

}  // namespace tg
