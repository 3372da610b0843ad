#include "models/fully_connected_net.h"

#include "graph/checks.h"
#include "nn/activations.h"
#include "nn/batchnorm.h"
#include "nn/dropout.h"
#include "nn/linear.h"
#include "nn/normalization.h"

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
  set_reg(options_.reg);
  Rng init_rng(options_.seed);
  const DType t = options_.dtype;
  const std::vector<std::int64_t> dims = layer_dims(options_);
  for (std::size_t i = 0; i + 1 < dims.size(); ++i) {
    const std::string k = std::to_string(i + 1);
    add("fc" + k, std::make_shared<Linear>(dims[i], dims[i + 1],
                                           LinearOptions{true, options_.init, t}, init_rng));
    if (i + 2 == dims.size()) break;  // the output layer
    if (options_.normalization == Normalization::batchnorm) {
      add("bn" + k, std::make_shared<BatchNorm1d>(dims[i + 1], BatchNormOptions{1e-5, 0.9, t}));
    } else if (options_.normalization == Normalization::layernorm) {
      add("ln" + k, std::make_shared<LayerNorm>(dims[i + 1], kLayerNormEps, t));
    }
    add("relu" + k, std::make_shared<ReLU>());
    if (options_.keep_prob < 1) {
      const bool fixed = options_.dropout_seed.has_value();
      add("dropout" + k,
          std::make_shared<Dropout>(options_.keep_prob,
                                    fixed ? *options_.dropout_seed : options_.seed + i + 1, fixed));
    }
  }
}

Var FullyConnectedNet::forward(const Var& x) {
  const std::int64_t features = x.value().shape().numel_after_first();
  if (x.value().rank() < 2 || features != options_.input_dim) {
    fail(kName, "expects inputs of {} features per example, got shape {}", options_.input_dim,
         x.shape().str());
  }
  return Sequential::forward(x);
}

std::shared_ptr<FullyConnectedNet> FullyConnectedNet::from_config(const ModelConfig& config) {
  FullyConnectedNetOptions o;
  o.hidden_dims = config.get_ints("hidden_dims");
  o.input_dim = config.get_int("input_dim");
  o.num_classes = config.get_int("num_classes");
  o.keep_prob = config.get_real("keep_prob");
  o.normalization = normalization_of(config.get_string("normalization"));
  o.reg = config.get_real("reg");
  o.dtype = config.get_dtype("dtype");
  return std::make_shared<FullyConnectedNet>(o);
}

ModelConfig FullyConnectedNet::config() const {
  ModelConfig config;
  config.set_ints("hidden_dims", options_.hidden_dims)
      .set_int("input_dim", options_.input_dim)
      .set_int("num_classes", options_.num_classes)
      .set_real("keep_prob", options_.keep_prob)
      .set_string("normalization", normalization_name(options_.normalization))
      .set_real("reg", reg())
      .set_dtype("dtype", options_.dtype);
  return config;
}

}  // namespace tg
