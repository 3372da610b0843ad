// max_pool2d (fast and naive) and avg_pool2d.
#include <doctest/doctest.h>

#include <vector>

#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "ops/conv/avg_pool2d.h"
#include "ops/conv/max_pool2d.h"
#include "ops/reference/max_pool2d_naive.h"
#include "tests/support/check_grads.h"

using namespace tg;
using tg::testing::randn;
using tg::testing::require_close;

namespace {

struct PoolCase {
  Shape x;
  Pool2dParams params;
};

const std::vector<PoolCase> kAwkward = {
    {{2, 3, 4, 4}, {2, 2, 2}},   // the common 2x2 stride-2 path
    {{1, 2, 5, 7}, {3, 3, 2}},   // N = 1, overlapping 3x3 windows, non-square input
    {{2, 1, 6, 4}, {2, 2, 1}},   // overlapping 2x2 at stride 1
    {{1, 3, 9, 6}, {3, 2, 2}},   // non-square window
    {{3, 2, 1, 1}, {1, 1, 1}},   // H = W = 1
    {{2, 2, 8, 8}, {4, 4, 4}},   // large tiles
    {{2, 2, 6, 6}, {2, 2, 2}},   // 2x2 path, odd number of windows per row
    {{1, 2, 4, 10}, {2, 2, 2}},  // 2x2 windows tiling a non-square plane (one-pass backward)
};

}  // namespace

TEST_CASE("max_pool2d fast path: gradient on awkward shapes") {
  Rng rng(1);
  for (const PoolCase& c : kAwkward) {
    CAPTURE(c.x.str());
    const GradientCheck check = check_gradients(
        [&](const std::vector<Var>& in) { return max_pool2d(in[0], c.params); }, {randn(c.x, rng)});
    require_close(check, {"x"}, 1e-8);
  }
}

TEST_CASE("max_pool2d naive reference: gradient against numerical ones") {
  Rng rng(2);
  for (const PoolCase& c : kAwkward) {
    CAPTURE(c.x.str());
    Tensor x = randn(c.x, rng);
    const auto forward = max_pool2d_forward_naive(x, c.params);
    const Tensor dout = randn(forward.out.shape(), rng);
    const Tensor numeric = eval_numerical_gradient_array(
        [&](const Tensor& xi) { return max_pool2d_forward_naive(xi, c.params).out; }, x, dout);
    CHECK(rel_error(max_pool2d_backward_naive(dout, forward.cache), numeric) < 1e-8);
  }
}

TEST_CASE("max_pool2d fast path equals the naive reference, forward and backward") {
  Rng rng(3);
  for (const PoolCase& c : kAwkward) {
    CAPTURE(c.x.str());
    const Tensor x = randn(c.x, rng);
    const auto fast = max_pool2d_forward(x, c.params);
    const auto naive = max_pool2d_forward_naive(x, c.params);
    CHECK(rel_error(fast.out, naive.out) < 1e-10);
    const Tensor dout = randn(fast.out.shape(), rng);
    CHECK(rel_error(max_pool2d_backward(dout, fast.cache),
                    max_pool2d_backward_naive(dout, naive.cache)) < 1e-10);
  }
}

TEST_CASE("max_pool2d picks the window maximum") {
  const Tensor x = Tensor::from_values({1, 1, 2, 4}, {1, 5, 2, 0, 3, 4, -1, 7});
  const auto r = max_pool2d_forward(x, {2, 2, 2});
  CHECK(r.out.to_vector() == std::vector<double>{5, 7});
  const Tensor dx = max_pool2d_backward(Tensor::from_values({1, 1, 1, 2}, {10, 20}), r.cache);
  CHECK(dx.to_vector() == std::vector<double>{0, 10, 0, 0, 0, 0, 0, 20});
}

TEST_CASE("overlapping windows add their gradients on a shared maximum") {
  // 1x3 input, 1x2 windows at stride 1: the middle 9 is the max of both.
  const Tensor x = Tensor::from_values({1, 1, 1, 3}, {1, 9, 2});
  const auto r = max_pool2d_forward(x, {1, 2, 1});
  CHECK(r.out.to_vector() == std::vector<double>{9, 9});
  const Tensor dx = max_pool2d_backward(Tensor::from_values({1, 1, 1, 2}, {1, 2}), r.cache);
  CHECK(dx.to_vector() == std::vector<double>{0, 3, 0});
}

TEST_CASE("avg_pool2d: values and gradient") {
  const Tensor x = Tensor::from_values({1, 1, 2, 2}, {1, 2, 3, 6});
  CHECK(avg_pool2d_forward(x, {2, 2, 2}).out.to_vector() == std::vector<double>{3});
  Rng rng(4);
  for (const PoolCase& c : kAwkward) {
    CAPTURE(c.x.str());
    const GradientCheck check = check_gradients(
        [&](const std::vector<Var>& in) { return avg_pool2d(in[0], c.params); }, {randn(c.x, rng)});
    require_close(check, {"x"}, 1e-8);
  }
}

TEST_CASE("pooling rejects bad shapes and parameters, naming the op") {
  const Tensor x = Tensor::zeros({2, 3, 5, 5});
  CHECK_THROWS_WITH_AS(max_pool2d_forward(x, {2, 2, 2}),
                       doctest::Contains("max_pool2d: the windows do not tile the input"),
                       ArgumentError);
  CHECK_THROWS_WITH_AS(max_pool2d_forward(x, {6, 6, 1}),
                       "max_pool2d: the 6x6 window is larger than the input (x (2,3,5,5))",
                       ArgumentError);
  CHECK_THROWS_WITH_AS(avg_pool2d_forward(x, {0, 2, 1}),
                       "avg_pool2d: the pooling window must be at least 1x1, got 0x2",
                       ArgumentError);
  CHECK_THROWS_WITH_AS(max_pool2d_forward(x, {1, 1, 0}),
                       "max_pool2d: stride must be at least 1, got 0", ArgumentError);
  CHECK_THROWS_WITH_AS(max_pool2d_forward(Tensor::zeros({5, 5}), {1, 1, 1}),
                       "max_pool2d: x must have rank 4, got shape (5,5)", ArgumentError);
  const auto r = max_pool2d_forward(Tensor::zeros({1, 1, 4, 4}), {2, 2, 2});
  CHECK_THROWS_WITH_AS(max_pool2d_backward(Tensor::zeros({1, 1, 3, 3}), r.cache),
                       "max_pool2d backward: dout must have shape (1,1,2,2), got (1,1,3,3)",
                       ArgumentError);
}
