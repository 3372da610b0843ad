// The seed's ThreeLayerConvNet: conv - [spatial batch norm] - relu - 2x2 max
// pool - affine - relu - affine - softmax. The conv keeps the input's height
// and width (stride 1, pad (filter_size - 1) / 2).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "models/init.h"
#include "models/module.h"
#include "ops/layers/spatial_batchnorm.h"

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

class ThreeLayerConvNet : public Module {
 public:
  explicit ThreeLayerConvNet(const ThreeLayerConvNetOptions& options);
  // From config(): for model files (models/model_file.h). Throws
  // ArgumentError naming the model or "config" for a bad configuration.
  static std::unique_ptr<ThreeLayerConvNet> from_config(const ModelConfig& config);

  Var forward(const Var& x) override;
  std::string name() const override { return "ThreeLayerConvNet"; }
  // The architecture's options (sizes, batch norm, reg, dtype); not init or
  // the seed, which trained parameters no longer need.
  ModelConfig config() const override;
  std::vector<LayerSpec> layers() const override;
  const ThreeLayerConvNetOptions& options() const { return options_; }

 private:
  ThreeLayerConvNetOptions options_;
  Parameter w1_, b1_, gamma1_, beta1_, w2_, b2_, w3_, b3_;
  BatchNormState bn1_;
};

}  // namespace tg
