// Single kernels timed without a tape: spatial batch norm (sbn) and conv2d,
// forward alone and forward + backward.
#include <cstdint>
#include <string>
#include <vector>

#include "bench/workloads.h"
#include "graph/rng.h"
#include "graph/tensor.h"
#include "nn/init.h"
#include "bench/work.h"
#include "bench/workloads.h"
#include "ops/conv/conv2d.h"
#include "ops/layers/spatial_batchnorm.h"

namespace tg::bench {
namespace {

constexpr std::uint64_t kDataSeed = 2;

struct ConvCase {
  std::string name;
  Shape x;                       // (N, C, H, W)
  std::int64_t filters, kernel;  // square kernel
  Conv2dParams params;
};

// 2 N F C KH KW OH OW, the multiply-adds of the forward pass.
double conv_forward_flop(const Conv2dGeometry& g) {
  return 2.0 * static_cast<double>(g.n * g.f * g.c * g.kh * g.kw * g.oh * g.ow);
}

void run_conv_case(const BenchContext& context, const ConvCase& c) {
  Rng rng(kDataSeed);
  const Tensor x = Tensor::randn(c.x, rng);
  const std::int64_t channels = c.x[1];
  const Tensor w =
      init_weight({c.filters, channels, c.kernel, c.kernel}, channels * c.kernel * c.kernel,
                  {WeightInit::Kind::kaiming}, DType::f32, rng);
  const Tensor b = Tensor::zeros({c.filters});
  const Conv2dGeometry g = conv2d_geometry(c.name.c_str(), x, w, c.params);
  const Tensor dout = Tensor::randn({g.n, g.f, g.oh, g.ow}, rng);

  const Protocol protocol = context.protocol(3, 20, 6.0);
  const Measurement forward = measure(protocol, [&] { conv2d_forward(x, w, b, c.params); });
  const Measurement both = measure(protocol, [&] {
    const Conv2dForward f = conv2d_forward(x, w, b, c.params);
    conv2d_backward(dout, f.cache, /*need_dx=*/true);
  });

  const double flop = conv_forward_flop(g);
  // The forward reads x, w and b and writes y; the backward reads dout, x and
  // w and writes dx, dw and db.
  const double xs = static_cast<double>(x.numel()), ws = static_cast<double>(w.numel());
  const double bs = static_cast<double>(b.numel()), ys = static_cast<double>(dout.numel());
  const Work forward_work{flop, kFloatBytes * (xs + ws + bs + ys)};
  const Work both_work{3 * flop, forward_work.bytes + kFloatBytes * (ys + 2 * xs + 2 * ws + bs)};
  Record record("conv");
  record.set("case", c.name)
      .set("kernels", conv2d_kernels(g, DType::f32))
      .set("fwd_flop", static_cast<std::int64_t>(flop))
      .set("warmup", protocol.warmup)
      .add_timing(both)
      .set("GFLOPps", giga_per_s(3 * flop, both.stats.median_ms))
      .add_timing(forward, "fwd_")
      .set("fwd_GFLOPps", giga_per_s(flop, forward.stats.median_ms));
  add_work(record, both_work);
  add_work(record, forward_work, "fwd_");
  context.emit(record);
}

}  // namespace

void run_sbn(const BenchContext& context) {
  const Shape shape{64, 64, 32, 32};
  Rng rng(kDataSeed);
  const Tensor x = Tensor::randn(shape, rng);
  const Tensor dout = Tensor::randn(shape, rng);
  const Tensor gamma = Tensor::ones({shape[1]});
  const Tensor beta = Tensor::zeros({shape[1]});
  BatchNormState state;  // training mode; momentum 0.9 in the seed's convention
  state.running_mean = Tensor::zeros({shape[1]});
  state.running_var = Tensor::ones({shape[1]});

  const Protocol protocol = context.protocol(3, 30, 8.0);
  const Measurement forward =
      measure(protocol, [&] { spatial_batchnorm_forward(x, gamma, beta, state); });
  const Measurement both = measure(protocol, [&] {
    const NormForward f = spatial_batchnorm_forward(x, gamma, beta, state);
    spatial_batchnorm_backward(dout, f.cache);
  });

  // Minimal traffic: forward reads x and writes y; backward reads x and dout
  // and writes dx.
  const double tensor_bytes = static_cast<double>(x.bytes());
  Record record("sbn");
  record.set("shape", shape.to_vector())
      .set("warmup", protocol.warmup)
      .add_timing(both)
      .set("GBps", giga_per_s(5 * tensor_bytes, both.stats.median_ms))
      .set("bytes_fwdbwd", static_cast<std::int64_t>(5 * tensor_bytes))
      .add_timing(forward, "fwd_")
      .set("fwd_GBps", giga_per_s(2 * tensor_bytes, forward.stats.median_ms));
  add_work(record, {0, 5 * tensor_bytes});  // elementwise: no products
  add_work(record, {0, 2 * tensor_bytes}, "fwd_");
  context.emit(record);
}

void run_conv(const BenchContext& context) {
  const std::vector<ConvCase> cases = {
      {"conv1_64x3x32x32_f32k7p3", {64, 3, 32, 32}, 32, 7, {1, 3}},
      {"conv2_64x64x16x16_f64k3p1", {64, 64, 16, 16}, 64, 3, {1, 1}},
  };
  for (const ConvCase& c : cases) {
    if (context.wants_case(c.name)) run_conv_case(context, c);
  }
}

}  // namespace tg::bench
