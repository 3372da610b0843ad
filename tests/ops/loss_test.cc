// svm_loss (softmax_loss is tested with the foundation in gradcheck_test).
#include <doctest/doctest.h>

#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "ops/losses/l2_penalty.h"
#include "ops/losses/svm_loss.h"
#include "tests/support/check_grads.h"

using namespace tg;

TEST_CASE("svm_loss by hand") {
  // Row 0: label 0, margins max(0, 2 - 3 + 1) = 0 and max(0, 4 - 3 + 1) = 2.
  // Row 1: label 2, margins max(0, 1 - 0 + 1) = 2 and max(0, -2 - 0 + 1) = 0.
  const Tensor scores = Tensor::from_values({2, 3}, {3, 2, 4, 1, -2, 0}, DType::f64);
  const LossAndGrad r = svm_loss_kernel(scores, {0, 2});
  CHECK(r.loss == doctest::Approx(2.0));
  CHECK(r.dscores.to_vector() == std::vector<double>{-0.5, 0, 0.5, 0.5, 0, -0.5});
}

TEST_CASE("svm_loss: small scores with 10 classes give about 9") {
  Rng rng(1);
  const Tensor scores = Tensor::randn({50, 10}, rng, DType::f64, 0.0, 0.001);
  Labels y(50);
  for (auto& label : y) label = static_cast<std::int32_t>(rng.below(10));
  CHECK(svm_loss_kernel(scores, y).loss == doctest::Approx(9.0).epsilon(1e-2));
}

TEST_CASE("svm_loss: gradient of the scores, kernel and tape op") {
  Rng rng(2);
  Tensor x = Tensor::randn({5, 10}, rng, DType::f64);
  const Labels y = {0, 3, 9, 3, 5};
  const Tensor numeric = eval_numerical_gradient(
      [&](const Tensor& scores) { return svm_loss_kernel(scores, y).loss; }, x);
  CHECK(rel_error(numeric, svm_loss_kernel(x, y).dscores) < 1e-8);
  tg::testing::require_close(
      check_gradients([&](const std::vector<Var>& in) { return svm_loss(in[0], y); }, {x}),
      {"scores"}, 1e-8);
}

TEST_CASE("svm_loss rejects bad labels and shapes") {
  CHECK_THROWS_WITH_AS(svm_loss_kernel(Tensor::zeros({2, 3}), {0, -1}),
                       "svm_loss: label 1 is -1, outside [0, 3)", ArgumentError);
  CHECK_THROWS_WITH_AS(svm_loss_kernel(Tensor::zeros({2, 3, 1}), {0, 1}),
                       "svm_loss: scores must have rank 2, got shape (2,3,1)", ArgumentError);
}

TEST_CASE("l2_penalty is 0.5 reg sum(w^2) with gradient reg w") {
  Rng rng(3);
  Tape tape;
  const Tensor w = Tensor::randn({3, 4}, rng, DType::f64);
  Var v = tape.variable(w);
  Var penalty = l2_penalty(v, 0.1);
  double squares = 0;
  for (double x : w.to_vector()) squares += x * x;
  CHECK(penalty.value().item() == doctest::Approx(0.05 * squares));
  tape.backward(penalty);
  CHECK(rel_error(v.grad(), w.clone().scale_(0.1)) < 1e-15);
  tg::testing::require_close(
      check_gradients([](const std::vector<Var>& in) { return l2_penalty(in[0], 0.3); }, {w}),
      {"w"}, 1e-8);
  CHECK_THROWS_WITH_AS(l2_penalty(v, -1.0), "l2_penalty: reg must be >= 0, got -1", ArgumentError);
}
