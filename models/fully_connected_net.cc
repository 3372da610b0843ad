#include "models/fully_connected_net.h"

#include "graph/checks.h"
#include "ops/layers/dropout.h"
#include "ops/layers/layer_utils.h"
#include "ops/layers/linear.h"

namespace tg {
namespace {

constexpr const char* kName = "FullyConnectedNet";
constexpr double kLayerNormEps = 1e-5;

const char* normalization_name(Normalization normalization) {
  switch (normalization) {
    case Normalization::batchnorm:
      return "batchnorm";
    case Normalization::layernorm:
      return "layernorm";
    case Normalization::none:
      break;
  }
  return "none";
}

Normalization normalization_of(const std::string& name) {
  for (Normalization n :
       {Normalization::none, Normalization::batchnorm, Normalization::layernorm}) {
    if (name == normalization_name(n)) return n;
  }
  fail("config", "'normalization' must be none, batchnorm or layernorm, got '{}'", name);
}

// input_dim, the hidden sizes, num_classes: the sizes the layers map between.
std::vector<std::int64_t> layer_dims(const FullyConnectedNetOptions& o) {
  std::vector<std::int64_t> dims = {o.input_dim};
  dims.insert(dims.end(), o.hidden_dims.begin(), o.hidden_dims.end());
  dims.push_back(o.num_classes);
  return dims;
}

void check_options(const FullyConnectedNetOptions& o) {
  if (o.input_dim < 1) fail(kName, "input_dim must be positive, got {}", o.input_dim);
  if (o.num_classes < 2) fail(kName, "num_classes must be at least 2, got {}", o.num_classes);
  for (std::size_t i = 0; i < o.hidden_dims.size(); ++i) {
    if (o.hidden_dims[i] < 1) {
      fail(kName, "hidden_dims[{}] must be positive, got {}", i, o.hidden_dims[i]);
    }
  }
  if (!(o.keep_prob > 0 && o.keep_prob <= 1)) {
    fail(kName, "keep_prob must be in (0, 1], got {}", o.keep_prob);
  }
  check_weight_init(kName, o.init);
}

}  // namespace

FullyConnectedNet::FullyConnectedNet(const FullyConnectedNetOptions& options) : options_(options) {
  check_options(options_);
  set_dtype(options_.dtype);
  set_reg(options_.reg);
  seed_rng(options_.seed);
  Rng init_rng(options_.seed);

  const std::vector<std::int64_t> dims = layer_dims(options_);
  // Buffers are registered by address: size the vector once.
  layers_.resize(dims.size() - 1);
  for (std::size_t i = 0; i + 1 < dims.size(); ++i) {
    Layer& layer = layers_[i];
    const std::string k = std::to_string(i + 1);
    layer.w = add_parameter(
        "W" + k, init_weight({dims[i], dims[i + 1]}, dims[i], options_.init, dtype(), init_rng),
        /*regularized=*/true);
    layer.b = add_parameter("b" + k, Tensor::zeros({dims[i + 1]}, dtype()));
    const bool hidden = i + 2 < dims.size();
    if (hidden && options_.normalization != Normalization::none) {
      layer.gamma = add_parameter("gamma" + k, Tensor::ones({dims[i + 1]}, dtype()));
      layer.beta = add_parameter("beta" + k, Tensor::zeros({dims[i + 1]}, dtype()));
    }
    if (hidden && options_.normalization == Normalization::batchnorm) {
      layer.bn.running_mean = Tensor::zeros({dims[i + 1]}, dtype());
      layer.bn.running_var = Tensor::ones({dims[i + 1]}, dtype());
      add_buffer("bn" + k + ".running_mean", layer.bn.running_mean);
      add_buffer("bn" + k + ".running_var", layer.bn.running_var);
    }
  }
}

Var FullyConnectedNet::forward(const Var& x) {
  const std::int64_t features = x.value().shape().numel_after_first();
  if (x.value().rank() < 2 || features != options_.input_dim) {
    fail(kName, "expects inputs of {} features per example, got shape {}", options_.input_dim,
         x.shape().str());
  }
  std::optional<Rng> fixed_masks;
  if (options_.dropout_seed) fixed_masks.emplace(*options_.dropout_seed);
  Rng& masks = fixed_masks ? *fixed_masks : rng();

  Var h = x;
  for (std::size_t i = 0; i + 1 < layers_.size(); ++i) {
    Layer& layer = layers_[i];
    if (options_.normalization == Normalization::batchnorm) {
      layer.bn.mode = mode();
      layer.bn.sync = batchnorm_sync();
      h = affine_bn_relu(h, layer.w, layer.b, layer.gamma, layer.beta, layer.bn);
    } else if (options_.normalization == Normalization::layernorm) {
      h = affine_ln_relu(h, layer.w, layer.b, layer.gamma, layer.beta, kLayerNormEps);
    } else {
      h = affine_relu(h, layer.w, layer.b);
    }
    if (options_.keep_prob < 1) h = dropout(h, {options_.keep_prob, mode()}, masks);
  }
  return linear(h, layers_.back().w, layers_.back().b);
}

std::unique_ptr<FullyConnectedNet> FullyConnectedNet::from_config(const ModelConfig& config) {
  FullyConnectedNetOptions o;
  o.hidden_dims = config.get_ints("hidden_dims");
  o.input_dim = config.get_int("input_dim");
  o.num_classes = config.get_int("num_classes");
  o.keep_prob = config.get_real("keep_prob");
  o.normalization = normalization_of(config.get_string("normalization"));
  o.reg = config.get_real("reg");
  o.dtype = config.get_dtype("dtype");
  check_options(o);
  // Every parameter and buffer the constructor allocates.
  const std::vector<std::int64_t> dims = layer_dims(o);
  std::vector<std::vector<std::int64_t>> shapes;
  for (std::size_t i = 0; i + 1 < dims.size(); ++i) {
    shapes.push_back({dims[i], dims[i + 1]});
    const int vectors = i + 2 == dims.size()                          ? 1
                        : o.normalization == Normalization::batchnorm ? 5
                        : o.normalization == Normalization::layernorm ? 3
                                                                      : 1;
    shapes.insert(shapes.end(), vectors, {dims[i + 1]});
  }
  config.check_allocation(kName, shapes, o.dtype);
  return std::make_unique<FullyConnectedNet>(o);
}

ModelConfig FullyConnectedNet::config() const {
  ModelConfig config;
  config.set_ints("hidden_dims", options_.hidden_dims)
      .set_int("input_dim", options_.input_dim)
      .set_int("num_classes", options_.num_classes)
      .set_real("keep_prob", options_.keep_prob)
      .set_string("normalization", normalization_name(options_.normalization))
      .set_real("reg", reg())
      .set_dtype("dtype", dtype());
  return config;
}

std::vector<LayerSpec> FullyConnectedNet::layers() const {
  std::vector<LayerSpec> specs;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const std::string k = std::to_string(i + 1);
    specs.push_back({"linear", {{"w", "W" + k}, {"b", "b" + k}}, {}});
    if (i + 1 == layers_.size()) break;
    if (options_.normalization == Normalization::batchnorm) {
      specs.push_back({"batchnorm",
                       {{"gamma", "gamma" + k},
                        {"beta", "beta" + k},
                        {"running_mean", "bn" + k + ".running_mean"},
                        {"running_var", "bn" + k + ".running_var"}},
                       {{"eps", layers_[i].bn.eps}}});
    } else if (options_.normalization == Normalization::layernorm) {
      specs.push_back(
          {"layernorm", {{"gamma", "gamma" + k}, {"beta", "beta" + k}}, {{"eps", kLayerNormEps}}});
    }
    specs.push_back({"relu", {}, {}});
    if (options_.keep_prob < 1)
      specs.push_back({"dropout", {}, {{"keep_prob", options_.keep_prob}}});
  }
  return specs;
}

}  // namespace tg
