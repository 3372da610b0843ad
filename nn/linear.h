// Linear: the seed's affine layer as a module, out = x W + b, x (N, ...)
// viewed as (N, in_features); W (in_features, out_features) is a weight
// (L2-regularised), b (out_features) optional. With last_axis, x is
// (..., in_features) and out (..., out_features): every vector along the
// last axis is mapped (the course's temporal affine for (N, T, D)).
#pragma once

#include <cstdint>

#include "graph/rng.h"
#include "nn/init.h"
#include "nn/module.h"

namespace tg {

struct LinearOptions {
  bool bias = true;
  WeightInit init = {WeightInit::Kind::kaiming, 1e-2};  // He et al.: N(0, 2 / in_features)
  DType dtype = DType::f32;
  bool last_axis = false;
};

class Linear : public Module {
 public:
  // Draws W from `rng` (so a model's layers draw one sequence in order).
  Linear(std::int64_t in_features, std::int64_t out_features, const LinearOptions& options,
         Rng& rng);
  // Draws W from a generator seeded with 0.
  Linear(std::int64_t in_features, std::int64_t out_features, const LinearOptions& options = {});
  static std::shared_ptr<Linear> from_config(const ModelConfig& config);

  Var forward(const Var& x) override;
  std::string type() const override { return "Linear"; }
  ModelConfig config() const override;
  std::vector<LayerSpec> layer_specs() const override;

  const Parameter& weight() const { return weight_; }
  const Parameter& bias() const { return bias_; }  // undefined without a bias

 private:
  void init(const LinearOptions& options, Rng& rng);

  std::int64_t in_, out_;
  bool last_axis_ = false;
  Parameter weight_, bias_;
};

}  // namespace tg
