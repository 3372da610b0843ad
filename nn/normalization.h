// Normalization modules whose statistics are per example, the same in
// training and at test time: gamma (ones) and beta (zeros) are parameters.
//   LayerNorm(D):    x (..., D), each vector of the last axis over its D features
//   GroupNorm(G, C): x (N, C, H, W), each example's G groups of C/G channels
#pragma once

#include <cstdint>

#include "nn/module.h"

namespace tg {

class LayerNorm : public Module {
 public:
  explicit LayerNorm(std::int64_t features, double eps = 1e-5, DType dtype = DType::f32);
  static std::shared_ptr<LayerNorm> from_config(const ModelConfig& config);
  Var forward(const Var& x) override;
  std::string type() const override { return "LayerNorm"; }
  ModelConfig config() const override;
  std::vector<LayerSpec> layer_specs() const override;

 private:
  std::int64_t features_;
  double eps_;
  Parameter gamma_, beta_;
};

class GroupNorm : public Module {
 public:
  GroupNorm(std::int64_t groups, std::int64_t channels, double eps = 1e-5,
            DType dtype = DType::f32);
  static std::shared_ptr<GroupNorm> from_config(const ModelConfig& config);
  Var forward(const Var& x) override;
  std::string type() const override { return "GroupNorm"; }
  ModelConfig config() const override;
  std::vector<LayerSpec> layer_specs() const override;

 private:
  std::int64_t groups_, channels_;
  double eps_;
  Parameter gamma_, beta_;
};

}  // namespace tg
