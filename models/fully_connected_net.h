// The seed's FullyConnectedNet: {affine - [batch/layer norm] - relu -
// [dropout]} x (L - 1) - affine - softmax, with L2 regularisation.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "models/init.h"
#include "models/module.h"
#include "ops/layers/spatial_batchnorm.h"

namespace tg {

enum class Normalization { none, batchnorm, layernorm };

struct FullyConnectedNetOptions {
  std::vector<std::int64_t> hidden_dims = {100, 100};
  std::int64_t input_dim = 3 * 32 * 32;
  std::int64_t num_classes = 10;
  double keep_prob = 1.0;  // 1: no dropout
  Normalization normalization = Normalization::none;
  double reg = 0.0;
  WeightInit init = {WeightInit::Kind::normal, 1e-2};
  DType dtype = DType::f32;
  std::uint64_t seed = 0;  // initial weights and dropout masks
  // When set, every forward pass draws its dropout masks from a generator
  // seeded with this (the seed's dropout_param['seed']): for gradient checks.
  std::optional<std::uint64_t> dropout_seed;
};

class FullyConnectedNet : public Module {
 public:
  explicit FullyConnectedNet(const FullyConnectedNetOptions& options);
  // From config(): for model files (models/model_file.h). Throws
  // ArgumentError naming the model or "config" for a bad configuration.
  static std::unique_ptr<FullyConnectedNet> from_config(const ModelConfig& config);

  Var forward(const Var& x) override;
  std::string name() const override { return "FullyConnectedNet"; }
  // The architecture's options (sizes, normalization, keep_prob, reg, dtype);
  // not init or the seeds, which trained parameters no longer need.
  ModelConfig config() const override;
  std::vector<LayerSpec> layers() const override;
  const FullyConnectedNetOptions& options() const { return options_; }

 private:
  struct Layer {
    Parameter w, b;
    Parameter gamma, beta;  // with normalization only
    BatchNormState bn;      // with batch norm only
  };

  FullyConnectedNetOptions options_;
  std::vector<Layer> layers_;  // the hidden layers, then the output layer
};

}  // namespace tg
