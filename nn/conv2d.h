// Conv2d: the seed's convolution as a module, NCHW, square filters:
// w (out_channels, in_channels, k, k) is a weight (L2-regularised), b
// (out_channels) optional; stride and zero padding (ops/conv/conv2d.h).
#pragma once

#include <cstdint>

#include "graph/rng.h"
#include "nn/init.h"
#include "nn/module.h"
#include "ops/conv/conv2d.h"

namespace tg {

struct Conv2dOptions {
  std::int64_t stride = 1;
  std::int64_t pad = 0;
  bool bias = true;
  WeightInit init = {WeightInit::Kind::kaiming, 1e-2};  // N(0, 2 / (in_channels k k))
  DType dtype = DType::f32;
};

class Conv2d : public Module {
 public:
  // Draws w from `rng` (so a model's layers draw one sequence in order).
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size,
         const Conv2dOptions& options, Rng& rng);
  // Draws w from a generator seeded with 0.
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size,
         const Conv2dOptions& options = {});
  static std::shared_ptr<Conv2d> from_config(const ModelConfig& config);

  Var forward(const Var& x) override;
  std::string type() const override { return "Conv2d"; }
  ModelConfig config() const override;
  std::vector<LayerSpec> layer_specs() const override;

  const Parameter& weight() const { return weight_; }
  const Parameter& bias() const { return bias_; }  // undefined without a bias
  Conv2dParams params() const { return {stride_, pad_}; }

 private:
  void init(const Conv2dOptions& options, Rng& rng);

  std::int64_t in_, out_, kernel_, stride_ = 1, pad_ = 0;
  Parameter weight_, bias_;
};

}  // namespace tg
