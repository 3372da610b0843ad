// Reductions and softmax: sum, mean, max over an axis or all elements,
// softmax and log_softmax.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "ops/reduce/max.h"
#include "ops/reduce/mean.h"
#include "ops/reduce/softmax.h"
#include "ops/reduce/sum.h"
#include "tests/support/check_grads.h"

using namespace tg;
using tg::testing::randn;
using tg::testing::require_close;

namespace {

// Reduces x (a, b, c) over `axis` by the definition, with f folding values.
template <class F>
std::vector<double> naive_reduce(const Tensor& x, int axis, double init, F f) {
  const std::int64_t d0 = x.dim(0), d1 = x.dim(1), d2 = x.dim(2);
  const std::int64_t n[3] = {d0, d1, d2};
  std::vector<double> out;
  for (std::int64_t i = 0; i < (axis == 0 ? 1 : d0); ++i)
    for (std::int64_t j = 0; j < (axis == 1 ? 1 : d1); ++j)
      for (std::int64_t k = 0; k < (axis == 2 ? 1 : d2); ++k) {
        double acc = init;
        for (std::int64_t t = 0; t < n[axis]; ++t) {
          acc = f(acc, x.at<double>(axis == 0 ? t : i, axis == 1 ? t : j, axis == 2 ? t : k));
        }
        out.push_back(acc);
      }
  return out;
}

void check_close(const std::vector<double>& got, const std::vector<double>& expected,
                 double tolerance = 1e-14) {
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i] == doctest::Approx(expected[i]).epsilon(tolerance));
  }
}

const std::vector<Shape> kShapes = {{3, 4}, {1, 5}, {2, 1, 3}, {4}, {2, 3, 1}};

}  // namespace

TEST_CASE("sum, mean, max over each axis equal the definition; keepdim keeps a 1") {
  Rng rng(1);
  const Tensor x = randn({2, 3, 4}, rng);
  const auto add = [](double acc, double v) { return acc + v; };
  const auto larger = [](double acc, double v) { return std::max(acc, v); };
  for (int axis = 0; axis < 3; ++axis) {
    CAPTURE(axis);
    const std::vector<double> sums = naive_reduce(x, axis, 0.0, add);
    check_close(sum_forward(x, axis).to_vector(), sums);
    std::vector<double> means = sums;
    for (double& m : means) m /= static_cast<double>(x.dim(axis));
    check_close(mean_forward(x, axis, true).to_vector(), means);
    check_close(max_forward(x, axis).out.to_vector(),
                naive_reduce(x, axis, -std::numeric_limits<double>::infinity(), larger));
    std::vector<std::int64_t> kept = x.shape().to_vector();
    kept[axis] = 1;
    CHECK(sum_forward(x, axis, true).shape() == Shape(kept));
    CHECK(max_forward(x, axis, true).out.shape() == Shape(kept));
    kept.erase(kept.begin() + axis);
    CHECK(mean_forward(x, axis).shape() == Shape(kept));
  }
  CHECK(sum_forward(x, -1).shape() == Shape{2, 3});
  double total = 0, largest = -1e300;
  for (double v : x.to_vector()) total += v, largest = std::max(largest, v);
  CHECK(sum_forward(x).item() == doctest::Approx(total).epsilon(1e-14));
  CHECK(mean_forward(x).item() == doctest::Approx(total / 24).epsilon(1e-14));
  CHECK(max_forward(x).out.item() == largest);
  CHECK(max_forward(x).out.shape() == Shape{});
}

TEST_CASE("sum, mean, max: gradients over every axis, with and without keepdim") {
  Rng rng(2);
  for (const Shape& shape : kShapes) {
    for (int axis = 0; axis < shape.rank(); ++axis) {
      for (bool keepdim : {false, true}) {
        CAPTURE(shape.str());
        CAPTURE(axis);
        CAPTURE(keepdim);
        // randn has no ties (with probability 1): max's gradient is unique.
        const std::vector<Tensor> inputs = {randn(shape, rng)};
        require_close(
            check_gradients([&](const std::vector<Var>& in) { return sum(in[0], axis, keepdim); },
                            inputs),
            {"x"}, 1e-7);
        require_close(
            check_gradients([&](const std::vector<Var>& in) { return mean(in[0], axis, keepdim); },
                            inputs),
            {"x"}, 1e-7);
        require_close(
            check_gradients([&](const std::vector<Var>& in) { return max(in[0], axis, keepdim); },
                            inputs),
            {"x"}, 1e-7);
      }
    }
    require_close(
        check_gradients([](const std::vector<Var>& in) { return sum(in[0]); }, {randn(shape, rng)}),
        {"x"}, 1e-7);
    require_close(check_gradients([](const std::vector<Var>& in) { return mean(in[0]); },
                                  {randn(shape, rng)}),
                  {"x"}, 1e-7);
    require_close(
        check_gradients([](const std::vector<Var>& in) { return max(in[0]); }, {randn(shape, rng)}),
        {"x"}, 1e-7);
  }
}

TEST_CASE("max: the gradient goes to the first maximal element; NaN propagates") {
  Tape tape;
  const Var x = tape.variable(Tensor::from_values({2, 3}, {1, 5, 5, 7, 7, 2}, DType::f64));
  const Var m = max(x, 1);
  CHECK(m.value().to_vector() == std::vector<double>{5, 7});
  tape.backward(m, Tensor::from_values({2}, {10, 20}, DType::f64));
  CHECK(x.grad().to_vector() == std::vector<double>{0, 10, 0, 20, 0, 0});
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const MaxForward r = max_forward(Tensor::from_values({4}, {1, nan, 3, nan}, DType::f64), 0);
  CHECK(std::isnan(r.out.item()));
  CHECK(r.cache.argmax == std::vector<std::int64_t>{1});
}

TEST_CASE("softmax and log_softmax: values along any axis, stable for large inputs") {
  Rng rng(3);
  const Tensor x = randn({2, 3, 4}, rng, 0.0, 3.0);
  for (int axis = 0; axis < 3; ++axis) {
    CAPTURE(axis);
    const std::vector<double> exp_sums =
        naive_reduce(x, axis, 0.0, [](double acc, double v) { return acc + std::exp(v); });
    const Tensor s = softmax_forward(x, axis);
    const Tensor ls = log_softmax_forward(x, axis);
    // Element (i, j, k) divided by the sum of its slice.
    for (std::int64_t i = 0; i < 2; ++i)
      for (std::int64_t j = 0; j < 3; ++j)
        for (std::int64_t k = 0; k < 4; ++k) {
          const std::int64_t reduced_index[3] = {j * 4 + k, i * 4 + k, i * 3 + j};
          const double denominator = exp_sums[reduced_index[axis]];
          const double v = x.at<double>(i, j, k);
          CHECK(s.at<double>(i, j, k) == doctest::Approx(std::exp(v) / denominator).epsilon(1e-14));
          CHECK(ls.at<double>(i, j, k) ==
                doctest::Approx(v - std::log(denominator)).epsilon(1e-14));
        }
  }
  const Tensor big = Tensor::from_values({2, 2}, {1000, 0, -1000, -1000}, DType::f64);
  CHECK(softmax_forward(big).to_vector() == std::vector<double>{1, 0, 0.5, 0.5});
  const std::vector<double> log_big = log_softmax_forward(big).to_vector();
  CHECK(log_big[0] == 0);
  CHECK(log_big[1] == -1000);
  CHECK(log_big[2] == doctest::Approx(-std::log(2.0)).epsilon(1e-15));
  const Tensor big32 = softmax_forward(big.to(DType::f32), 0);
  for (double v : big32.to_vector()) CHECK(std::isfinite(v));
}

TEST_CASE("softmax and log_softmax: gradients over every axis") {
  Rng rng(4);
  for (const Shape& shape : kShapes) {
    for (int axis = -1; axis < shape.rank(); ++axis) {
      CAPTURE(shape.str());
      CAPTURE(axis);
      require_close(
          check_gradients([&](const std::vector<Var>& in) { return softmax(in[0], axis); },
                          {randn(shape, rng)}),
          {"x"}, 1e-7);
      require_close(
          check_gradients([&](const std::vector<Var>& in) { return log_softmax(in[0], axis); },
                          {randn(shape, rng)}),
          {"x"}, 1e-7);
    }
  }
}
