// Pooling modules (no parameters), NCHW:
//   MaxPool2d(k, stride), AvgPool2d(k, stride): k x k windows, no padding
//   GlobalAvgPool2d: (N, C, H, W) -> (N, C), the mean of each channel's plane
#pragma once

#include <cstdint>

#include "nn/module.h"
#include "ops/kernels/pool2d.h"

namespace tg {

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(std::int64_t kernel_size = 2, std::int64_t stride = 2);
  static std::shared_ptr<MaxPool2d> from_config(const ModelConfig& config);
  Var forward(const Var& x) override;
  std::string type() const override { return "MaxPool2d"; }
  ModelConfig config() const override;
  std::vector<LayerSpec> layer_specs() const override;

 private:
  Pool2dParams params_;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(std::int64_t kernel_size = 2, std::int64_t stride = 2);
  static std::shared_ptr<AvgPool2d> from_config(const ModelConfig& config);
  Var forward(const Var& x) override;
  std::string type() const override { return "AvgPool2d"; }
  ModelConfig config() const override;
  std::vector<LayerSpec> layer_specs() const override;

 private:
  Pool2dParams params_;
};

class GlobalAvgPool2d : public Module {
 public:
  Var forward(const Var& x) override;
  std::string type() const override { return "GlobalAvgPool2d"; }
  std::vector<LayerSpec> layer_specs() const override { return {{"global_avg_pool2d", {}, {}}}; }
};

}  // namespace tg
