#include "nn/pooling.h"

#include "graph/checks.h"
#include "ops/conv/avg_pool2d.h"
#include "ops/conv/max_pool2d.h"
#include "ops/reduce/mean.h"
#include "ops/shape/reshape.h"

namespace tg {
namespace {

Pool2dParams pool_params(const char* op, std::int64_t kernel_size, std::int64_t stride) {
  if (kernel_size < 1 || stride < 1) {
    fail(op, "kernel_size and stride must be positive, got {} and {}", kernel_size, stride);
  }
  return {kernel_size, kernel_size, stride};
}

ModelConfig pool_config(const Pool2dParams& p) {
  ModelConfig config;
  config.set_int("kernel_size", p.pool_height).set_int("stride", p.stride);
  return config;
}

LayerSpec pool_spec(const char* op, const Pool2dParams& p) {
  return {op,
          {},
          {{"pool_height", static_cast<double>(p.pool_height)},
           {"pool_width", static_cast<double>(p.pool_width)},
           {"stride", static_cast<double>(p.stride)}}};
}

}  // namespace

MaxPool2d::MaxPool2d(std::int64_t kernel_size, std::int64_t stride)
    : params_(pool_params("MaxPool2d", kernel_size, stride)) {}

std::shared_ptr<MaxPool2d> MaxPool2d::from_config(const ModelConfig& config) {
  return std::make_shared<MaxPool2d>(config.get_int("kernel_size"), config.get_int("stride"));
}

Var MaxPool2d::forward(const Var& x) { return max_pool2d(x, params_); }
ModelConfig MaxPool2d::config() const { return pool_config(params_); }
std::vector<LayerSpec> MaxPool2d::layer_specs() const { return {pool_spec("max_pool2d", params_)}; }

AvgPool2d::AvgPool2d(std::int64_t kernel_size, std::int64_t stride)
    : params_(pool_params("AvgPool2d", kernel_size, stride)) {}

std::shared_ptr<AvgPool2d> AvgPool2d::from_config(const ModelConfig& config) {
  return std::make_shared<AvgPool2d>(config.get_int("kernel_size"), config.get_int("stride"));
}

Var AvgPool2d::forward(const Var& x) { return avg_pool2d(x, params_); }
ModelConfig AvgPool2d::config() const { return pool_config(params_); }
std::vector<LayerSpec> AvgPool2d::layer_specs() const { return {pool_spec("avg_pool2d", params_)}; }

Var GlobalAvgPool2d::forward(const Var& x) {
  const Shape& s = x.shape();
  if (s.rank() != 4 || s[2] * s[3] == 0) {
    fail(prefix() + "GlobalAvgPool2d", "expects images (N, C, H, W), got shape {}", s.str());
  }
  return mean(reshape(x, {s[0], s[1], s[2] * s[3]}), 2);
}

}  // namespace tg
