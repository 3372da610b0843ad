// conv_transpose2d: float64 gradient checks, the conv2d-based path (im2col in
// float64, oneDNN or im2col in float32) held to the direct-loop reference on
// awkward shapes, values worked out by hand, and bad input refused.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "ops/conv/conv2d.h"
#include "ops/conv/conv_transpose2d.h"
#include "ops/reference/conv_transpose2d_naive.h"
#include "tests/support/check_grads.h"
#include "tests/support/rounding_bound.h"

using namespace tg;
using tg::testing::abs_of;
using tg::testing::check_within_rounding;
using tg::testing::randn;
using tg::testing::require_close;

namespace {

// Linear in each input: centred differences have no truncation error, and a
// large step keeps their rounding noise small (as in conv_test).
constexpr double kLinearStep = 1e-3;

struct Case {
  Shape x, w;  // w (C_in, C_out, KH, KW)
  ConvTranspose2dParams params;
};

// Stride 1, 2 and 3; pad 0, 1, 2; output_padding 0, 1, 2 (below, equal to
// and above the pad: the frame then starts above the output, at it, or ends
// before it); non-square inputs and kernels; N = 1; C_in != C_out.
const std::vector<Case> kAwkward = {
    {{2, 3, 4, 4}, {3, 2, 3, 3}, {2, 1, 1}},  // stride 2, pad 1, output_padding 1
    {{1, 2, 3, 5}, {2, 4, 2, 3}, {3, 0, 2}},  // N = 1, stride 3, output_padding above the pad
    {{2, 4, 5, 3}, {4, 3, 4, 2}, {2, 1, 0}},  // non-square kernel, no output_padding
    {{1, 1, 4, 4}, {1, 1, 1, 1}, {1, 0, 0}},  // 1x1 (conv2d's pointwise path)
    {{2, 3, 3, 3}, {3, 5, 3, 3}, {3, 1, 1}},  // stride 3, output_padding = pad
    {{2, 2, 4, 3}, {2, 3, 5, 5}, {1, 2, 0}},  // stride 1, kernel larger than the input
    {{3, 2, 3, 3}, {2, 2, 3, 3}, {2, 2, 1}},  // pad 2 crops most of the full output
    {{1, 3, 2, 6}, {3, 2, 1, 4}, {2, 0, 1}},  // tall-thin shapes, 1-row kernel
};

// 16 output channels or more: the float32 forward runs on oneDNN.
const std::vector<Case> kWide = {
    {{3, 32, 7, 7}, {32, 16, 4, 4}, {2, 1, 0}},  // the DCGAN generator's 7 -> 14
    {{2, 16, 7, 5}, {16, 20, 4, 3}, {2, 1, 1}},  // output_padding 1, non-square
    {{1, 24, 4, 4}, {24, 17, 3, 3}, {3, 0, 2}},  // N = 1, stride 3
    {{9, 20, 5, 5}, {20, 33, 3, 3}, {1, 1, 0}},  // stride 1: the frame is the output
    {{2, 8, 6, 6}, {8, 64, 4, 4}, {2, 1, 0}},    // few input channels, many output ones
};

std::vector<Case> all_cases() {
  std::vector<Case> cases = kAwkward;
  cases.insert(cases.end(), kWide.begin(), kWide.end());
  return cases;
}

double dot(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = a.to_vector(), y = b.to_vector();
  REQUIRE(x.size() == y.size());
  double sum = 0;
  for (std::size_t i = 0; i < x.size(); ++i) sum += x[i] * y[i];
  return sum;
}

ConvTranspose2dForward forward_of(const Tensor& x, const Tensor& w, const Tensor& b,
                                  std::int64_t stride, std::int64_t pad,
                                  std::int64_t output_padding = 0) {
  ConvTranspose2dParams params;
  params.stride = stride;
  params.pad = pad;
  params.output_padding = output_padding;
  return conv_transpose2d_forward(x, w, b, params);
}

Tensor f64(const Shape& shape, const std::vector<double>& values) {
  return Tensor::from_values(shape, values, DType::f64);
}

}  // namespace

TEST_CASE("conv_transpose2d: gradients of x, w and b on awkward shapes") {
  Rng rng(1);
  for (const Case& c : kAwkward) {
    CAPTURE(c.x.str());
    CAPTURE(c.w.str());
    const GradientCheck check = check_gradients(
        [&](const std::vector<Var>& in) { return conv_transpose2d(in[0], in[1], in[2], c.params); },
        {randn(c.x, rng), randn(c.w, rng), randn({c.w[1]}, rng)}, 0, kLinearStep);
    require_close(check, {{"x", 1e-8}, {"w", 1e-8}, {"b", 1e-8}});
  }
}

TEST_CASE("conv_transpose2d naive reference: gradients against numerical ones") {
  Rng rng(2);
  for (const Case& c : {kAwkward[0], kAwkward[1], kAwkward[4], kAwkward[6]}) {
    CAPTURE(c.x.str());
    const Tensor x = randn(c.x, rng), w = randn(c.w, rng), b = randn({c.w[1]}, rng);
    const auto [out, cache] = conv_transpose2d_forward_naive(x, w, b, c.params);
    const Tensor dout = randn(out.shape(), rng);
    const ConvTranspose2dGrads grads = conv_transpose2d_backward_naive(dout, cache);
    const auto out_of = [&](const Tensor&) {
      return conv_transpose2d_forward_naive(x, w, b, c.params).out;
    };
    CHECK(rel_error(grads.dx, eval_numerical_gradient_array(out_of, x, dout, kLinearStep)) < 1e-8);
    CHECK(rel_error(grads.dw, eval_numerical_gradient_array(out_of, w, dout, kLinearStep)) < 1e-8);
    CHECK(rel_error(grads.db, eval_numerical_gradient_array(out_of, b, dout, kLinearStep)) < 1e-8);
  }
}

TEST_CASE("conv_transpose2d in float64 (im2col) equals the naive reference") {
  Rng rng(3);
  for (const Case& c : all_cases()) {
    CAPTURE(c.x.str());
    CAPTURE(c.w.str());
    const Tensor x = randn(c.x, rng), w = randn(c.w, rng), b = randn({c.w[1]}, rng);
    const auto fast = conv_transpose2d_forward(x, w, b, c.params);
    const auto naive = conv_transpose2d_forward_naive(x, w, b, c.params);
    CHECK(rel_error(fast.out, naive.out) < 1e-10);
    const Tensor dout = randn(fast.out.shape(), rng);
    const ConvTranspose2dGrads fast_grads = conv_transpose2d_backward(dout, fast.cache);
    const ConvTranspose2dGrads naive_grads = conv_transpose2d_backward_naive(dout, naive.cache);
    CHECK(rel_error(fast_grads.dx, naive_grads.dx) < 1e-10);
    CHECK(rel_error(fast_grads.dw, naive_grads.dw) < 1e-10);
    CHECK(rel_error(fast_grads.db, naive_grads.db) < 1e-10);
  }
}

TEST_CASE("conv_transpose2d in float32 (oneDNN and im2col) equals the float64 naive reference") {
  // Each float32 result within the rounding bound of its sums
  // (tests/support/rounding_bound.h), the bound's magnitudes from the naive
  // reference on the inputs' absolute values.
  Rng rng(4);
  for (const Case& c : all_cases()) {
    CAPTURE(c.x.str());
    CAPTURE(c.w.str());
    const Tensor x = Tensor::randn(c.x, rng), w = Tensor::randn(c.w, rng);
    const Tensor b = Tensor::randn({c.w[1]}, rng);
    const auto fast = conv_transpose2d_forward(x, w, b, c.params);
    REQUIRE(fast.out.dtype() == DType::f32);
    const Tensor dout = Tensor::randn(fast.out.shape(), rng);
    const ConvTranspose2dGrads grads = conv_transpose2d_backward(dout, fast.cache);
    REQUIRE(grads.dx.dtype() == DType::f32);
    const auto want = conv_transpose2d_forward_naive(x.to(DType::f64), w.to(DType::f64),
                                                     b.to(DType::f64), c.params);
    const ConvTranspose2dGrads want_grads =
        conv_transpose2d_backward_naive(dout.to(DType::f64), want.cache);
    const auto abs_sums = conv_transpose2d_forward_naive(abs_of(x), abs_of(w), abs_of(b), c.params);
    const ConvTranspose2dGrads abs_grads =
        conv_transpose2d_backward_naive(abs_of(dout), abs_sums.cache);
    // Terms per element, at most: C_in KH KW products and the bias (out),
    // C_out KH KW (dx), N H W (dw), N OH OW (db).
    const std::int64_t n = c.x[0], c_in = c.w[0], c_out = c.w[1], kh = c.w[2], kw = c.w[3];
    check_within_rounding(fast.out, want.out, abs_sums.out, c_in * kh * kw + 1);
    check_within_rounding(grads.dx, want_grads.dx, abs_grads.dx, c_out * kh * kw);
    check_within_rounding(grads.dw, want_grads.dw, abs_grads.dw, n * c.x[2] * c.x[3]);
    check_within_rounding(grads.db, want_grads.db, abs_grads.db, dout.numel() / c_out);
  }
}

TEST_CASE("conv_transpose2d routes each pass as ops/conv/conv_transpose2d.h says") {
  const auto kernels = [](const Case& c, DType dtype) {
    return conv_transpose2d_kernels(conv_transpose2d_geometry("test", Tensor::zeros(c.x, dtype),
                                                              Tensor::zeros(c.w, dtype), c.params),
                                    dtype);
  };
  // 16 output channels: oneDNN's backward-data; dx is conv2d's forward of
  // dout, dw its weight gradient, both on oneDNN.
  const std::string wide = kernels(kWide[0], DType::f32);
  CAPTURE(wide);
  CHECK(wide.rfind("forward onednn jit", 0) == 0);
  CHECK(wide.find(", dx onednn jit") != std::string::npos);
  CHECK(wide.find(", dw onednn ") != std::string::npos);
  // 2 output channels: im2col's backward-data.
  CHECK(kernels(kAwkward[0], DType::f32).rfind("forward im2col, dx ", 0) == 0);
  CHECK(kernels(kWide[0], DType::f64) == "forward im2col, dx im2col, dw im2col");
}

TEST_CASE("conv_transpose2d by hand: each input pixel scatters the filter, the pad crops") {
  const Tensor x = f64({1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor ones = f64({1, 1, 2, 2}, {1, 1, 1, 1});
  const Tensor no_bias = f64({1}, {0});
  // Stride 1: overlapping 2x2 blocks add up.
  CHECK(forward_of(x, ones, no_bias, 1, 0).out.to_vector() ==
        std::vector<double>{1, 3, 2, 4, 10, 6, 3, 7, 4});
  // Pad 1 crops one pixel from every border of that.
  CHECK(forward_of(x, ones, no_bias, 1, 1).out.to_vector() == std::vector<double>{10});
  // Stride 2: the blocks x[i, j] w tile the output without overlap, plus the bias.
  const Tensor w = f64({1, 1, 2, 2}, {1, 2, 3, 4});
  CHECK(forward_of(x, w, f64({1}, {0.5}), 2, 0).out.to_vector() ==
        std::vector<double>{1.5, 2.5, 2.5, 4.5,  //
                            3.5, 4.5, 6.5, 8.5,  //
                            3.5, 6.5, 4.5, 8.5,  //
                            9.5, 12.5, 12.5, 16.5});
  // output_padding 1 above pad 0: the extra row and column see no input (the bias).
  const Tensor one = f64({1, 1, 1, 1}, {1});
  CHECK(forward_of(one, w, f64({1}, {-1}), 2, 0, 1).out.to_vector() ==
        std::vector<double>{0, 1, -1, 2, 3, -1, -1, -1, -1});
  // output_padding 1 with pad 1: the full 3x3 output w9, cropped by one at the
  // top and left only (PyTorch adds output_padding on the bottom and right).
  const Tensor w9 = f64({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(forward_of(one, w9, no_bias, 2, 1, 1).out.to_vector() == std::vector<double>{5, 6, 8, 9});
}

TEST_CASE("conv_transpose2d is the adjoint of conv2d: <conv2d(y, w), x> = <y, convT(x, w)>") {
  // With output_padding 0 and zero biases, conv_transpose2d(., w) is conv2d(., w)'s
  // transpose for any stride and pad that tile.
  Rng rng(5);
  for (const Case& c : all_cases()) {
    if (c.params.output_padding != 0) continue;
    CAPTURE(c.x.str());
    const Tensor x = randn(c.x, rng), w = randn(c.w, rng);
    const Tensor t =
        conv_transpose2d_forward(x, w, Tensor::zeros({c.w[1]}, DType::f64), c.params).out;
    const Tensor y = randn(t.shape(), rng);
    Conv2dParams params;
    params.stride = c.params.stride;
    params.pad = c.params.pad;
    const Tensor conv = conv2d_forward(y, w, Tensor::zeros({c.w[0]}, DType::f64), params).out;
    REQUIRE(conv.shape() == x.shape());
    CHECK(dot(conv, x) == doctest::Approx(dot(y, t)).epsilon(1e-12));
  }
}

TEST_CASE("conv_transpose2d output size follows (H - 1) stride - 2 pad + KH + output_padding") {
  const auto size_of = [](const Shape& x, const Shape& w, std::int64_t s, std::int64_t p,
                          std::int64_t op) {
    return forward_of(Tensor::zeros(x), Tensor::zeros(w), Tensor::zeros({w[1]}), s, p, op)
        .out.shape();
  };
  CHECK(size_of({2, 64, 7, 7}, {64, 32, 4, 4}, 2, 1, 0) == Shape{2, 32, 14, 14});
  CHECK(size_of({1, 3, 7, 7}, {3, 1, 3, 3}, 2, 1, 1) == Shape{1, 1, 14, 14});
  CHECK(size_of({1, 2, 3, 4}, {2, 5, 2, 3}, 3, 0, 2) == Shape{1, 5, 10, 14});
}

TEST_CASE("conv_transpose2d backward skips dx when the input needs no gradient") {
  Rng rng(6);
  const Tensor x = randn({2, 3, 4, 4}, rng), w = randn({3, 2, 3, 3}, rng), b = randn({2}, rng);
  const auto fwd = forward_of(x, w, b, 2, 1, 1);
  const ConvTranspose2dGrads grads =
      conv_transpose2d_backward(randn(fwd.out.shape(), rng), fwd.cache, false);
  CHECK_FALSE(grads.dx.defined());
  CHECK(grads.dw.shape() == w.shape());
  CHECK(grads.db.shape() == b.shape());
}

TEST_CASE("conv_transpose2d rejects bad shapes and parameters with the op, expected and actual") {
  const Tensor x = Tensor::zeros({2, 4, 7, 7}), w = Tensor::zeros({3, 6, 4, 4});
  const Tensor b = Tensor::zeros({6});
  CHECK_THROWS_WITH_AS(forward_of(x, w, b, 2, 1),
                       "conv_transpose2d: input has 4 channels but weight expects 3 (x (2,4,7,7), "
                       "w (3,6,4,4): (C_in, C_out, KH, KW))",
                       ArgumentError);
  const Tensor x3 = Tensor::zeros({2, 3, 7, 7});
  CHECK_THROWS_WITH_AS(
      forward_of(x3, w, b, 2, 1, 2),
      "conv_transpose2d: output_padding must be smaller than stride, got output_padding 2 with "
      "stride 2: a transposed-conv output size that cannot be reached (a stride-2 convolution maps "
      "16x16 to 8x8, not 7x7; x (2,3,7,7), w (3,6,4,4), pad 1)",
      ArgumentError);
  CHECK_THROWS_WITH_AS(forward_of(x3, w, b, 1, 0, 1),
                       doctest::Contains("output size that cannot be reached"), ArgumentError);
  CHECK_THROWS_WITH_AS(forward_of(x3, w, b, 2, 1, -1),
                       "conv_transpose2d: output_padding must not be negative, got -1",
                       ArgumentError);
  CHECK_THROWS_WITH_AS(forward_of(x3, w, b, 0, 1),
                       "conv_transpose2d: stride must be at least 1, got 0", ArgumentError);
  CHECK_THROWS_WITH_AS(forward_of(x3, w, b, 2, -1),
                       "conv_transpose2d: pad must not be negative, got -1", ArgumentError);
  CHECK_THROWS_WITH_AS(
      forward_of(Tensor::zeros({1, 3, 1, 1}), Tensor::zeros({3, 6, 3, 3}), b, 1, 2),
      "conv_transpose2d: the output would be -1x-1: (H - 1) stride - 2 pad + KH + output_padding "
      "must be at least 1 (x (1,3,1,1), w (3,6,3,3), stride 1, pad 2, output_padding 0)",
      ArgumentError);
  CHECK_THROWS_WITH_AS(forward_of(x3, w, Tensor::zeros({3}), 2, 1),
                       "conv_transpose2d: b must have shape (6), got (3)", ArgumentError);
  CHECK_THROWS_WITH_AS(forward_of(Tensor::zeros({3, 7, 7}), w, b, 2, 1),
                       "conv_transpose2d: x must have rank 4, got shape (3,7,7)", ArgumentError);
  CHECK_THROWS_WITH_AS(forward_of(x3, Tensor::zeros({3, 6, 4, 4}, DType::f64), b, 2, 1),
                       "conv_transpose2d: x is float32 but w is float64", ArgumentError);
  const auto fwd = forward_of(x3, w, b, 2, 1);
  CHECK_THROWS_WITH_AS(conv_transpose2d_backward(Tensor::zeros({2, 6, 14, 13}), fwd.cache),
                       "conv_transpose2d backward: dout must have shape (2,6,14,14), got "
                       "(2,6,14,13)",
                       ArgumentError);
}
