// The seed's FullyConnectedNet: {affine - [batch/layer norm] - relu -
// [dropout]} x (L - 1) - affine - softmax, with L2 regularisation. A
// Sequential of layer modules: fc1, [bn1 | ln1], relu1, [dropout1], ..., fcL.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "nn/containers.h"
#include "nn/init.h"

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
  std::uint64_t seed = 0;  // initial weights; dropout layer k's masks start from seed + k
  // When set, every forward pass draws each dropout layer's masks from a
  // generator seeded with this (the seed's dropout_param['seed']): for
  // gradient checks.
  std::optional<std::uint64_t> dropout_seed;
};

class FullyConnectedNet : public Sequential {
 public:
  explicit FullyConnectedNet(const FullyConnectedNetOptions& options);
  // From config(): for model files (models/model_file.h). Throws
  // ArgumentError naming the model or "config" for a bad configuration.
  static std::shared_ptr<FullyConnectedNet> from_config(const ModelConfig& config);

  // Checks that x has input_dim features per example, then the layers.
  Var forward(const Var& x) override;
  std::string type() const override { return "FullyConnectedNet"; }
  // The architecture's options (sizes, normalization, keep_prob, reg, dtype);
  // not init or the seeds, which trained parameters no longer need.
  ModelConfig config() const override;
  const FullyConnectedNetOptions& options() const { return options_; }

 private:
  FullyConnectedNetOptions options_;
};

}  // namespace tg
