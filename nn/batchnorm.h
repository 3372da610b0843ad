// Batch normalization modules (the seed's batchnorm and spatial_batchnorm):
// gamma (ones) and beta (zeros) are parameters, the running mean (zeros)
// and variance (ones) buffers. The mode is the module's own: in evaluation
// the running statistics normalise and are never updated. In a loss() call
// with LossOptions::batchnorm_sync, training uses the global batch's
// statistics (ops/layers/spatial_batchnorm.h).
//   BatchNorm1d: x (N, features);  BatchNorm2d: x (N, channels, H, W).
#pragma once

#include <cstdint>

#include "nn/module.h"
#include "ops/layers/spatial_batchnorm.h"

namespace tg {

struct BatchNormOptions {
  double eps = 1e-5;
  double momentum = 0.9;  // running = momentum * running + (1 - momentum) * batch
  DType dtype = DType::f32;
};

class BatchNormBase : public Module {
 public:
  BatchNormBase(std::int64_t features, const BatchNormOptions& options);

  ModelConfig config() const override;
  const Parameter& gamma() const { return gamma_; }
  const Parameter& beta() const { return beta_; }
  const Tensor& running_mean() const { return state_.running_mean; }
  const Tensor& running_var() const { return state_.running_var; }

 protected:
  static BatchNormOptions options_of(const ModelConfig& config);
  // state_ with this call's mode and sync sums.
  BatchNormState& state();
  LayerSpec spec(const char* op) const;

  std::int64_t features_;
  Parameter gamma_, beta_;
  BatchNormState state_;
};

class BatchNorm1d : public BatchNormBase {
 public:
  explicit BatchNorm1d(std::int64_t features, const BatchNormOptions& options = {})
      : BatchNormBase(features, options) {}
  static std::shared_ptr<BatchNorm1d> from_config(const ModelConfig& config);
  Var forward(const Var& x) override;
  std::string type() const override { return "BatchNorm1d"; }
  std::vector<LayerSpec> layer_specs() const override { return {spec("batchnorm")}; }
};

class BatchNorm2d : public BatchNormBase {
 public:
  explicit BatchNorm2d(std::int64_t channels, const BatchNormOptions& options = {})
      : BatchNormBase(channels, options) {}
  static std::shared_ptr<BatchNorm2d> from_config(const ModelConfig& config);
  Var forward(const Var& x) override;
  std::string type() const override { return "BatchNorm2d"; }
  std::vector<LayerSpec> layer_specs() const override { return {spec("spatial_batchnorm")}; }
};

}  // namespace tg
