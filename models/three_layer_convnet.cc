#include "models/three_layer_convnet.h"

#include "graph/checks.h"
#include "ops/layers/layer_utils.h"
#include "ops/layers/linear.h"

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

// Stride 1, and the padding that keeps the height and width.
Conv2dParams conv_params(const ThreeLayerConvNetOptions& o) { return {1, (o.filter_size - 1) / 2}; }

Pool2dParams pool_params() { return {2, 2, 2}; }

}  // namespace

ThreeLayerConvNet::ThreeLayerConvNet(const ThreeLayerConvNetOptions& options) : options_(options) {
  check_options(options_);
  set_dtype(options_.dtype);
  set_reg(options_.reg);
  seed_rng(options_.seed);
  Rng rng(options_.seed);
  const auto [c, h, w] = options_.input_dim;
  const std::int64_t f = options_.num_filters, k = options_.filter_size;
  const std::int64_t pooled = f * (h / 2) * (w / 2);
  const DType t = dtype();
  w1_ = add_parameter("W1", init_weight({f, c, k, k}, c * k * k, options_.init, t, rng), true);
  b1_ = add_parameter("b1", Tensor::zeros({f}, t));
  if (options_.spatial_batchnorm) {
    gamma1_ = add_parameter("gamma1", Tensor::ones({f}, t));
    beta1_ = add_parameter("beta1", Tensor::zeros({f}, t));
    bn1_.running_mean = Tensor::zeros({f}, t);
    bn1_.running_var = Tensor::ones({f}, t);
    add_buffer("bn1.running_mean", bn1_.running_mean);
    add_buffer("bn1.running_var", bn1_.running_var);
  }
  w2_ = add_parameter(
      "W2", init_weight({pooled, options_.hidden_dim}, pooled, options_.init, t, rng), true);
  b2_ = add_parameter("b2", Tensor::zeros({options_.hidden_dim}, t));
  w3_ = add_parameter("W3",
                      init_weight({options_.hidden_dim, options_.num_classes}, options_.hidden_dim,
                                  options_.init, t, rng),
                      true);
  b3_ = add_parameter("b3", Tensor::zeros({options_.num_classes}, t));
}

Var ThreeLayerConvNet::forward(const Var& x) {
  const auto [c, h, w] = options_.input_dim;
  const Shape& s = x.shape();
  if (s.rank() != 4 || s[1] != c || s[2] != h || s[3] != w) {
    fail(kName, "expects images (N, {}, {}, {}), got shape {}", c, h, w, s.str());
  }
  const Conv2dParams conv = conv_params(options_);
  const Pool2dParams pool = pool_params();
  Var pooled;
  if (options_.spatial_batchnorm) {
    bn1_.mode = mode();
    bn1_.sync = batchnorm_sync();
    pooled = conv_bn_relu_pool(x, w1_, b1_, gamma1_, beta1_, conv, bn1_, pool);
  } else {
    pooled = conv_relu_pool(x, w1_, b1_, conv, pool);
  }
  return linear(affine_relu(pooled, w2_, b2_), w3_, b3_);
}

std::unique_ptr<ThreeLayerConvNet> ThreeLayerConvNet::from_config(const ModelConfig& config) {
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
  check_options(o);
  // Every parameter and buffer the constructor allocates (W2's rows as their
  // three factors, so that their product is checked for overflow too).
  const auto [c, h, w] = o.input_dim;
  const std::int64_t f = o.num_filters, k = o.filter_size, hidden = o.hidden_dim;
  std::vector<std::vector<std::int64_t>> shapes = {
      {f, c, k, k},   {f}, {f, h / 2, w / 2, hidden}, {hidden}, {hidden, o.num_classes},
      {o.num_classes}};
  if (o.spatial_batchnorm) shapes.insert(shapes.end(), 4, {f});
  config.check_allocation(kName, shapes, o.dtype);
  return std::make_unique<ThreeLayerConvNet>(o);
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
      .set_dtype("dtype", dtype());
  return config;
}

std::vector<LayerSpec> ThreeLayerConvNet::layers() const {
  const Conv2dParams conv = conv_params(options_);
  const Pool2dParams pool = pool_params();
  std::vector<LayerSpec> specs = {
      {"conv2d",
       {{"w", "W1"}, {"b", "b1"}},
       {{"stride", static_cast<double>(conv.stride)}, {"pad", static_cast<double>(conv.pad)}}}};
  if (options_.spatial_batchnorm) {
    specs.push_back({"spatial_batchnorm",
                     {{"gamma", "gamma1"},
                      {"beta", "beta1"},
                      {"running_mean", "bn1.running_mean"},
                      {"running_var", "bn1.running_var"}},
                     {{"eps", bn1_.eps}}});
  }
  specs.push_back({"relu", {}, {}});
  specs.push_back({"max_pool2d",
                   {},
                   {{"pool_height", static_cast<double>(pool.pool_height)},
                    {"pool_width", static_cast<double>(pool.pool_width)},
                    {"stride", static_cast<double>(pool.stride)}}});
  specs.push_back({"linear", {{"w", "W2"}, {"b", "b2"}}, {}});
  specs.push_back({"relu", {}, {}});
  specs.push_back({"linear", {{"w", "W3"}, {"b", "b3"}}, {}});
  return specs;
}

}  // namespace tg
