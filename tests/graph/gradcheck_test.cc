// The gradient-check machinery itself, and the foundation ops through it.
#include "graph/gradcheck.h"

#include <doctest/doctest.h>

#include <cmath>

#include "graph/errors.h"
#include "graph/op.h"
#include "graph/rng.h"
#include "ops/layers/linear.h"
#include "ops/layers/relu.h"
#include "ops/losses/softmax_loss.h"
#include "ops/math/add.h"
#include "ops/math/mul.h"
#include "ops/reduce/sum.h"
#include "tests/support/check_grads.h"

using namespace tg;
using tg::testing::require_close;

namespace {

Tensor randn(const Shape& shape, std::uint64_t seed, double scale = 1.0) {
  Rng rng(seed);
  return Tensor::randn(shape, rng, DType::f64, 0.0, scale);
}

// x -> x^2 with a backward that is deliberately wrong (3x instead of 2x).
Var broken_square(const Var& x) {
  Op op("broken_square", {x});
  Tensor out = op.input(0).clone();
  Tensor in = op.input(0);
  for (std::int64_t i = 0; i < out.numel(); ++i) out.data<double>()[i] *= in.data<double>()[i];
  return op.finish(std::move(out), [in](const Tensor& dout, InputGrads& grads) {
    Tensor dx = dout.clone();
    for (std::int64_t i = 0; i < dx.numel(); ++i)
      dx.data<double>()[i] *= 3.0 * in.data<double>()[i];
    grads.add(0, dx);
  });
}

}  // namespace

TEST_CASE("rel_error uses the seed's definition") {
  const Tensor a = Tensor::from_values({3}, {1.0, 0.0, 2.0}, DType::f64);
  const Tensor b = Tensor::from_values({3}, {1.0, 0.0, 2.2}, DType::f64);
  CHECK(rel_error(a, a) == 0.0);
  CHECK(rel_error(a, b) == doctest::Approx(0.2 / 4.2));
  // Tiny values: the 1e-8 floor in the denominator.
  const Tensor c = Tensor::from_values({1}, {1e-12}, DType::f64);
  const Tensor z = Tensor::zeros({1}, DType::f64);
  CHECK(rel_error(c, z) == doctest::Approx(1e-4));
}

TEST_CASE("eval_numerical_gradient differentiates a scalar function") {
  Tensor x = Tensor::from_values({3}, {1.0, -2.0, 0.5}, DType::f64);
  const auto f = [](const Tensor& t) {
    double s = 0;
    for (double v : t.to_vector()) s += v * v * v;
    return s;
  };
  const Tensor g = eval_numerical_gradient(f, x);
  CHECK(g.to_vector()[0] == doctest::Approx(3.0));
  CHECK(g.to_vector()[1] == doctest::Approx(12.0));
  CHECK(g.to_vector()[2] == doctest::Approx(0.75));
  CHECK(x.to_vector() == std::vector<double>{1.0, -2.0, 0.5});                     // restored
  CHECK_THROWS_AS(eval_numerical_gradient(f, Tensor::zeros({2})), ArgumentError);  // float32
}

TEST_CASE("gradcheck catches a wrong backward") {
  const GradientCheck check = check_gradients(
      [](const std::vector<Var>& in) { return broken_square(in[0]); }, {randn({4, 3}, 1)});
  CHECK(check.max_error() > 0.1);
}

TEST_CASE("linear: gradients of x, w and b") {
  // x of rank 3: the op views it as (N, D) = (3, 8).
  const GradientCheck check =
      check_gradients([](const std::vector<Var>& in) { return linear(in[0], in[1], in[2]); },
                      {randn({3, 2, 4}, 1), randn({8, 5}, 2), randn({5}, 3)});
  require_close(check, {"x", "w", "b"}, 1e-7);
}

TEST_CASE("linear: N = 1 and a single output") {
  const GradientCheck check =
      check_gradients([](const std::vector<Var>& in) { return linear(in[0], in[1], in[2]); },
                      {randn({1, 6}, 4), randn({6, 1}, 5), randn({1}, 6)});
  require_close(check, {"x", "w", "b"}, 1e-7);
}

TEST_CASE("linear forward matches x W + b by hand") {
  const Tensor x = Tensor::from_values({2, 2}, {1, 2, 3, 4}, DType::f64);
  const Tensor w = Tensor::from_values({2, 3}, {1, 0, -1, 2, 1, 0}, DType::f64);
  const Tensor b = Tensor::from_values({3}, {0.5, 0, 0}, DType::f64);
  CHECK(linear_forward(x, w, b).out.to_vector() == std::vector<double>{5.5, 2, -1, 11.5, 4, -3});
}

TEST_CASE("linear rejects mismatched shapes, naming the op and both shapes") {
  CHECK_THROWS_WITH_AS(
      linear_forward(Tensor::zeros({2, 3, 4}), Tensor::zeros({10, 5}), Tensor::zeros({5})),
      "linear: x has 12 features per example but w expects 10 (x (2,3,4), w (10,5))",
      ArgumentError);
  CHECK_THROWS_WITH_AS(
      linear_forward(Tensor::zeros({2, 4}), Tensor::zeros({4, 5}), Tensor::zeros({4})),
      "linear: b must have shape (5), got (4)", ArgumentError);
  CHECK_THROWS_WITH_AS(
      linear_forward(Tensor::zeros({2, 4}), Tensor::zeros({4, 5}, DType::f64), Tensor::zeros({5})),
      "linear: x is float32 but w is float64", ArgumentError);
}

TEST_CASE("relu: gradient away from the kink") {
  // Shift values away from 0 where relu is not differentiable.
  Tensor x = randn({4, 5}, 7);
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    double& v = x.data<double>()[i];
    v += v > 0 ? 0.1 : -0.1;
  }
  const GradientCheck check =
      check_gradients([](const std::vector<Var>& in) { return relu(in[0]); }, {x});
  require_close(check, {"x"}, 1e-7);
}

TEST_CASE("softmax_loss: small random scores with 10 classes give about log(10)") {
  Rng rng(0);
  const Tensor scores = Tensor::randn({50, 10}, rng, DType::f64, 0.0, 0.001);
  Labels y(50);
  for (auto& label : y) label = static_cast<std::int32_t>(rng.below(10));
  const LossAndGrad result = softmax_loss_kernel(scores, y);
  CHECK(result.loss == doctest::Approx(std::log(10.0)).epsilon(1e-3));
}

TEST_CASE("softmax_loss: gradient of the scores") {
  const Labels y = {0, 3, 9, 3, 5};
  const GradientCheck check = check_gradients(
      [&](const std::vector<Var>& in) { return softmax_loss(in[0], y); }, {randn({5, 10}, 8)});
  require_close(check, {"scores"}, 1e-7);
}

TEST_CASE("softmax_loss: the seed-style check against the kernel's dx") {
  Tensor x = randn({6, 4}, 9);
  const Labels y = {0, 1, 2, 3, 0, 1};
  const Tensor numeric = eval_numerical_gradient(
      [&](const Tensor& scores) { return softmax_loss_kernel(scores, y).loss; }, x);
  CHECK(rel_error(numeric, softmax_loss_kernel(x, y).dscores) < 1e-7);
}

TEST_CASE("softmax_loss is stable for huge scores") {
  const Tensor x = Tensor::from_values({1, 3}, {1000.0, 0.0, -1000.0});
  const LossAndGrad r = softmax_loss_kernel(x, {0});
  CHECK(r.loss == doctest::Approx(0.0));
  CHECK(first_non_finite(r.dscores) == -1);
}

TEST_CASE("softmax_loss rejects labels out of range and a wrong count") {
  const Tensor x = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH_AS(softmax_loss_kernel(x, {0, 3}), "softmax_loss: label 1 is 3, outside [0, 3)",
                       ArgumentError);
  CHECK_THROWS_WITH_AS(softmax_loss_kernel(x, {0}),
                       "softmax_loss: expected 2 labels (one per row of the scores), got 1",
                       ArgumentError);
}

TEST_CASE("add, mul and sum: gradients of every input") {
  require_close(check_gradients([](const std::vector<Var>& in) { return in[0] + in[1]; },
                                {randn({3, 4}, 10), randn({3, 4}, 11)}),
                {"a", "b"}, 1e-7);
  require_close(check_gradients([](const std::vector<Var>& in) { return in[0] * in[1]; },
                                {randn({2, 3, 2}, 12), randn({2, 3, 2}, 13)}),
                {"a", "b"}, 1e-7);
  require_close(
      check_gradients([](const std::vector<Var>& in) { return sum(in[0]); }, {randn({7}, 14)}),
      {"x"}, 1e-7);
}

TEST_CASE("A whole expression checks in one call") {
  const Labels y = {1, 0, 2};
  const GradientCheck check = check_gradients(
      [&](const std::vector<Var>& in) {
        Var h = relu(linear(in[0], in[1], in[2]));
        return softmax_loss(linear(h, in[3], in[4]), y);
      },
      {randn({3, 4}, 20), randn({4, 6}, 21), randn({6}, 22, 0.1), randn({6, 3}, 23),
       randn({3}, 24)});
  // A chain of five ops: the smallest entries of dx carry centred-difference
  // noise of a few 1e-7 relative, as in the seed's own two-layer checks; the
  // single ops above meet 1e-7.
  require_close(check, {"x", "w1", "b1", "w2", "b2"}, 1e-6);
}

TEST_CASE("add and mul reject shapes that do not broadcast") {
  Tape tape;
  Var a = tape.variable(Tensor::zeros({2, 3}));
  Var b = tape.variable(Tensor::zeros({3, 2}));
  CHECK_THROWS_WITH_AS(a + b, "add: b must broadcast with a (2,3), got (3,2) (axis -1: 3 vs 2)",
                       ArgumentError);
  CHECK_THROWS_WITH_AS(a * b, "mul: b must broadcast with a (2,3), got (3,2) (axis -1: 3 vs 2)",
                       ArgumentError);
}
