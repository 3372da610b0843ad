// conv2d: gradients of the fast path and the naive reference, and the fast
// path held to the reference on awkward shapes.
#include <doctest/doctest.h>

#include <vector>

#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "ops/conv2d.h"
#include "ops/reference/conv2d_naive.h"
#include "tests/check_grads.h"

using namespace tg;
using tg::testing::randn;
using tg::testing::require_close;

namespace {

// conv is linear in each of x, w and b, so centred differences carry no
// truncation error at any step; their rounding noise (about 1e-16 |out| / h
// per output) is what limits the relative error of small entries of dw, and
// a step of 1e-3 keeps it below the 1e-8 bound.
constexpr double kLinearStep = 1e-3;

struct ConvCase {
  Shape x, w;
  Conv2dParams params;
};

// N = 1, stride 2, pad 0 and 3, non-square inputs and kernels, 1x1 kernels.
const std::vector<ConvCase> kAwkward = {
    {{2, 3, 7, 7}, {4, 3, 3, 3}, {2, 1}},   // stride 2, pad 1
    {{1, 2, 5, 9}, {3, 2, 3, 5}, {1, 0}},   // N = 1, pad 0, non-square input and kernel
    {{2, 3, 6, 6}, {2, 3, 7, 7}, {1, 3}},   // pad 3 with a 7x7 kernel
    {{3, 4, 5, 7}, {5, 4, 1, 1}, {1, 0}},   // 1x1 kernel (pointwise path)
    {{2, 2, 8, 6}, {3, 2, 2, 2}, {2, 0}},   // stride 2, pad 0, even kernel
    {{1, 1, 9, 5}, {2, 1, 5, 1}, {2, 0}},   // tall kernel, stride 2
    {{2, 3, 5, 5}, {2, 3, 1, 1}, {2, 0}},   // 1x1 kernel at stride 2 (not pointwise)
    {{1, 4, 6, 10}, {5, 4, 3, 3}, {1, 3}},  // pad 3 > the 3x3 filter (as CS231n and PyTorch allow)
};

}  // namespace

TEST_CASE("conv2d fast path: gradients of x, w and b on awkward shapes") {
  Rng rng(1);
  for (const ConvCase& c : kAwkward) {
    CAPTURE(c.x.str());
    CAPTURE(c.w.str());
    const GradientCheck check = check_gradients(
        [&](const std::vector<Var>& in) { return conv2d(in[0], in[1], in[2], c.params); },
        {randn(c.x, rng), randn(c.w, rng), randn({c.w[0]}, rng)}, 0, kLinearStep);
    require_close(check, {{"x", 1e-6}, {"w", 1e-8}, {"b", 1e-8}});
  }
}

TEST_CASE("conv2d naive reference: gradients against numerical ones") {
  Rng rng(2);
  for (const ConvCase& c : {kAwkward[0], kAwkward[1], kAwkward[2]}) {
    Tensor x = randn(c.x, rng), w = randn(c.w, rng), b = randn({c.w[0]}, rng);
    const auto [out, cache] = conv2d_forward_naive(x, w, b, c.params);
    const Tensor dout = randn(out.shape(), rng);
    const Conv2dGrads grads = conv2d_backward_naive(dout, cache);
    const auto out_of = [&](const Tensor&) { return conv2d_forward_naive(x, w, b, c.params).out; };
    CHECK(rel_error(grads.dx, eval_numerical_gradient_array(out_of, x, dout, kLinearStep)) < 1e-6);
    CHECK(rel_error(grads.dw, eval_numerical_gradient_array(out_of, w, dout, kLinearStep)) < 1e-8);
    CHECK(rel_error(grads.db, eval_numerical_gradient_array(out_of, b, dout, kLinearStep)) < 1e-8);
  }
}

TEST_CASE("conv2d fast path equals the naive reference, forward and backward") {
  Rng rng(3);
  for (const ConvCase& c : kAwkward) {
    CAPTURE(c.x.str());
    CAPTURE(c.w.str());
    const Tensor x = randn(c.x, rng), w = randn(c.w, rng), b = randn({c.w[0]}, rng);
    const auto fast = conv2d_forward(x, w, b, c.params);
    const auto naive = conv2d_forward_naive(x, w, b, c.params);
    CHECK(rel_error(fast.out, naive.out) < 1e-10);
    const Tensor dout = randn(fast.out.shape(), rng);
    const Conv2dGrads fast_grads = conv2d_backward(dout, fast.cache);
    const Conv2dGrads naive_grads = conv2d_backward_naive(dout, naive.cache);
    CHECK(rel_error(fast_grads.dx, naive_grads.dx) < 1e-10);
    CHECK(rel_error(fast_grads.dw, naive_grads.dw) < 1e-10);
    CHECK(rel_error(fast_grads.db, naive_grads.db) < 1e-10);
  }
}

TEST_CASE("conv2d in float32 matches float64 to single precision") {
  Rng rng(4);
  const Tensor x = randn({4, 3, 10, 10}, rng), w = randn({8, 3, 3, 3}, rng), b = randn({8}, rng);
  const auto f64 = conv2d_forward(x, w, b, {1, 1});
  const auto f32 = conv2d_forward(x.to(DType::f32), w.to(DType::f32), b.to(DType::f32), {1, 1});
  CHECK(rel_error(f32.out.to(DType::f64), f64.out) < 1e-3);
}

TEST_CASE("conv2d backward skips dx when the input needs no gradient") {
  Rng rng(5);
  const Tensor x = randn({2, 3, 5, 5}, rng), w = randn({2, 3, 3, 3}, rng), b = randn({2}, rng);
  const auto fwd = conv2d_forward(x, w, b, {1, 1});
  const Conv2dGrads grads = conv2d_backward(randn(fwd.out.shape(), rng), fwd.cache, false);
  CHECK_FALSE(grads.dx.defined());
  CHECK(grads.dw.defined());
}

TEST_CASE("conv2d accepts a pad larger than the filter: the border outputs see only zeros") {
  // CS231n's conv_forward_naive and PyTorch accept x (1,4,6,10), w (5,4,3,3),
  // stride 1, pad 3: the output is (1,5,10,14), and each output whose window
  // lies wholly in the padding equals the bias.
  Rng rng(6);
  const Tensor x = randn({1, 4, 6, 10}, rng), w = randn({5, 4, 3, 3}, rng), b = randn({5}, rng);
  const auto out = conv2d_forward(x, w, b, {1, 3}).out;
  REQUIRE(out.shape() == Shape{1, 5, 10, 14});
  for (std::int64_t f = 0; f < 5; ++f) {
    CHECK(out.at<double>(0, f, 0, 0) == b.at<double>(f));
    CHECK(out.at<double>(0, f, 9, 13) == b.at<double>(f));
  }
}

TEST_CASE("conv2d output size follows 1 + (H + 2 pad - HH) / stride") {
  const auto r = conv2d_forward(Tensor::zeros({2, 3, 32, 32}), Tensor::zeros({32, 3, 7, 7}),
                                Tensor::zeros({32}), {1, 3});
  CHECK(r.out.shape() == Shape{2, 32, 32, 32});
  const auto s = conv2d_forward(Tensor::zeros({1, 1, 9, 7}), Tensor::zeros({1, 1, 3, 3}),
                                Tensor::zeros({1}), {2, 0});
  CHECK(s.out.shape() == Shape{1, 1, 4, 3});
}

TEST_CASE("conv2d rejects bad shapes and parameters with the op, expected and actual") {
  const Tensor x = Tensor::zeros({2, 4, 8, 8}), w = Tensor::zeros({6, 3, 3, 3});
  const Tensor b = Tensor::zeros({6});
  CHECK_THROWS_WITH_AS(
      conv2d_forward(x, w, b, {1, 1}),
      "conv2d: input has 4 channels but weight expects 3 (x (2,4,8,8), w (6,3,3,3))",
      ArgumentError);
  const Tensor x3 = Tensor::zeros({2, 3, 8, 8});
  CHECK_THROWS_WITH_AS(conv2d_forward(x3, w, b, {2, 0}),
                       doctest::Contains("conv2d: the windows do not tile the input"),
                       ArgumentError);
  CHECK_THROWS_WITH_AS(conv2d_forward(x3, w, Tensor::zeros({5}), {1, 1}),
                       "conv2d: b must have shape (6), got (5)", ArgumentError);
  CHECK_THROWS_WITH_AS(conv2d_forward(x3, w, b, {0, 1}), "conv2d: stride must be at least 1, got 0",
                       ArgumentError);
  CHECK_THROWS_WITH_AS(conv2d_forward(x3, w, b, {1, -1}),
                       "conv2d: pad must not be negative, got -1", ArgumentError);
  CHECK_THROWS_WITH_AS(conv2d_forward(Tensor::zeros({2, 3, 2, 2}), w, b, {1, 0}),
                       doctest::Contains("conv2d: the 3x3 filter is larger than the padded input"),
                       ArgumentError);
  CHECK_THROWS_WITH_AS(conv2d_forward(Tensor::zeros({3, 8, 8}), w, b, {1, 1}),
                       "conv2d: x must have rank 4, got shape (3,8,8)", ArgumentError);
}
