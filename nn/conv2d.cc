#include "nn/conv2d.h"

#include "graph/checks.h"

namespace tg {

Conv2d::Conv2d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size,
               const Conv2dOptions& options, Rng& rng)
    : in_(in_channels), out_(out_channels), kernel_(kernel_size) {
  init(options, rng);
}

Conv2d::Conv2d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size,
               const Conv2dOptions& options)
    : in_(in_channels), out_(out_channels), kernel_(kernel_size) {
  Rng rng(0);
  init(options, rng);
}

void Conv2d::init(const Conv2dOptions& options, Rng& rng) {
  if (in_ < 1 || out_ < 1 || kernel_ < 1) {
    fail("Conv2d", "in_channels, out_channels and kernel_size must be positive, got {}, {}, {}",
         in_, out_, kernel_);
  }
  if (options.stride < 1) fail("Conv2d", "stride must be positive, got {}", options.stride);
  if (options.pad < 0) fail("Conv2d", "pad must be >= 0, got {}", options.pad);
  check_weight_init("Conv2d", options.init);
  stride_ = options.stride;
  pad_ = options.pad;
  weight_ = register_parameter("weight",
                               init_weight({out_, in_, kernel_, kernel_}, in_ * kernel_ * kernel_,
                                           options.init, options.dtype, rng),
                               /*regularized=*/true);
  if (options.bias) bias_ = register_parameter("bias", Tensor::zeros({out_}, options.dtype));
}

std::shared_ptr<Conv2d> Conv2d::from_config(const ModelConfig& config) {
  Conv2dOptions options;
  options.stride = config.get_int("stride");
  options.pad = config.get_int("pad");
  options.bias = config.get_bool("bias");
  options.dtype = config.get_dtype("dtype");
  return std::make_shared<Conv2d>(config.get_int("in_channels"), config.get_int("out_channels"),
                                  config.get_int("kernel_size"), options);
}

Var Conv2d::forward(const Var& x) {
  if (bias_.defined()) return conv2d(x, weight_, bias_, params());
  const Var zero_bias = x.tape().constant(Tensor::zeros({out_}, weight_.value().dtype()));
  return conv2d(x, weight_, zero_bias, params());
}

ModelConfig Conv2d::config() const {
  ModelConfig config;
  config.set_int("in_channels", in_)
      .set_int("out_channels", out_)
      .set_int("kernel_size", kernel_)
      .set_int("stride", stride_)
      .set_int("pad", pad_)
      .set_bool("bias", bias_.defined())
      .set_dtype("dtype", weight_.value().dtype());
  return config;
}

std::vector<LayerSpec> Conv2d::layer_specs() const {
  LayerSpec spec{"conv2d",
                 {{"w", weight_.name()}},
                 {{"stride", static_cast<double>(stride_)}, {"pad", static_cast<double>(pad_)}}};
  if (bias_.defined()) spec.tensors.push_back({"b", bias_.name()});
  return {spec};
}

}  // namespace tg
