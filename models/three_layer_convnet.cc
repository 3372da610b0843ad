#include "models/three_layer_convnet.h"

#include "graph/checks.h"
#include "nn/activations.h"
#include "nn/batchnorm.h"
#include "nn/conv2d.h"
#include "nn/linear.h"
#include "nn/pooling.h"

namespace tg {
namespace {

constexpr const char* kName = "ThreeLayerConvNet";

void check_options(const ThreeLayerConvNetOptions& o) {
  const auto [c, h, w] = o.input_dim;
  if (c < 1 || h < 2 || w < 2) {
    fail(kName, "input_dim (C, H, W) must be at least (1, 2, 2), got ({}, {}, {})", c, h, w);
  }
  if (h % 2 != 0 || w % 2 != 0) {
    fail(kName, "the 2x2 pooling needs an even height and width, got {}x{}", h, w);
  }
  if (o.filter_size < 1 || o.filter_size % 2 == 0 || o.filter_size > std::min(h, w)) {
    fail(kName, "filter_size must be odd, positive and at most {}, got {}", std::min(h, w),
         o.filter_size);
  }
  if (o.num_filters < 1) fail(kName, "num_filters must be positive, got {}", o.num_filters);
  if (o.hidden_dim < 1) fail(kName, "hidden_dim must be positive, got {}", o.hidden_dim);
  if (o.num_classes < 2) fail(kName, "num_classes must be at least 2, got {}", o.num_classes);
  check_weight_init(kName, o.init);
}

}  // namespace

ThreeLayerConvNet::ThreeLayerConvNet(const ThreeLayerConvNetOptions& options) : options_(options) {
  check_options(options_);
  set_reg(options_.reg);
  Rng rng(options_.seed);  // W1, W2, W3 in turn, as the seed draws them
  const auto [c, h, w] = options_.input_dim;
  const std::int64_t f = options_.num_filters, k = options_.filter_size;
  const DType t = options_.dtype;
  add("conv1", std::make_shared<Conv2d>(
                   c, f, k, Conv2dOptions{1, (k - 1) / 2, true, options_.init, t}, rng));
  if (options_.spatial_batchnorm)
    add("bn1", std::make_shared<BatchNorm2d>(f, BatchNormOptions{1e-5, 0.9, t}));
  add("relu1", std::make_shared<ReLU>());
  add("pool1", std::make_shared<MaxPool2d>(2, 2));
  const std::int64_t pooled = f * (h / 2) * (w / 2);
  add("fc2", std::make_shared<Linear>(pooled, options_.hidden_dim,
                                      LinearOptions{true, options_.init, t}, rng));
  add("relu2", std::make_shared<ReLU>());
  add("fc3", std::make_shared<Linear>(options_.hidden_dim, options_.num_classes,
                                      LinearOptions{true, options_.init, t}, rng));
}

Var ThreeLayerConvNet::forward(const Var& x) {
  const auto [c, h, w] = options_.input_dim;
  const Shape& s = x.shape();
  if (s.rank() != 4 || s[1] != c || s[2] != h || s[3] != w) {
    fail(kName, "expects images (N, {}, {}, {}), got shape {}", c, h, w, s.str());
  }
  return Sequential::forward(x);
}

std::shared_ptr<ThreeLayerConvNet> ThreeLayerConvNet::from_config(const ModelConfig& config) {
  ThreeLayerConvNetOptions o;
  const std::vector<std::int64_t>& input_dim = config.get_ints("input_dim");
  if (input_dim.size() != 3) {
    fail("config", "'input_dim' must be (C, H, W), got {} numbers", input_dim.size());
  }
  o.input_dim = {input_dim[0], input_dim[1], input_dim[2]};
  o.num_filters = config.get_int("num_filters");
  o.filter_size = config.get_int("filter_size");
  o.hidden_dim = config.get_int("hidden_dim");
  o.num_classes = config.get_int("num_classes");
  o.spatial_batchnorm = config.get_bool("spatial_batchnorm");
  o.reg = config.get_real("reg");
  o.dtype = config.get_dtype("dtype");
  return std::make_shared<ThreeLayerConvNet>(o);
}

ModelConfig ThreeLayerConvNet::config() const {
  const auto [c, h, w] = options_.input_dim;
  ModelConfig config;
  config.set_ints("input_dim", {c, h, w})
      .set_int("num_filters", options_.num_filters)
      .set_int("filter_size", options_.filter_size)
      .set_int("hidden_dim", options_.hidden_dim)
      .set_int("num_classes", options_.num_classes)
      .set_bool("spatial_batchnorm", options_.spatial_batchnorm)
      .set_real("reg", reg())
      .set_dtype("dtype", options_.dtype);
  return config;
}

}  // namespace tg
