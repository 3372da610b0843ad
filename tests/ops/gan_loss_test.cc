// bce_with_logits, mse_loss and the course's four GAN losses built on them:
// each against its formula computed directly on fixed inputs (where the
// textbook BCE overflows too), float64 gradient checks of every input, and
// bad shapes refused.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "ops/losses/bce_with_logits.h"
#include "ops/losses/gan_losses.h"
#include "ops/losses/mse_loss.h"
#include "tests/support/check_grads.h"

using namespace tg;
using tg::testing::randn;
using tg::testing::require_close;

namespace {

Tensor f64(const Shape& shape, const std::vector<double>& values) {
  return Tensor::from_values(shape, values, DType::f64);
}

// The textbook binary cross-entropy of one logit, in float64:
// -[y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))].
double textbook_bce(double x, double y) {
  const double p = 1 / (1 + std::exp(-x));
  return -(y * std::log(p) + (1 - y) * std::log(1 - p));
}

// The same in long double written as y log(1 + e^-x) + (1 - y) log(1 + e^x):
// exact to about 1e-19 even for |x| = 1000, where e^|x| (about 1e434)
// overflows a double but not a long double.
double wide_bce(double x, double y) {
  const long double lx = x, ly = y;
  return static_cast<double>(ly * std::log1p(std::exp(-lx)) + (1 - ly) * std::log1p(std::exp(lx)));
}

double mean_of(const std::vector<double>& x, double (*f)(double)) {
  double sum = 0;
  for (double v : x) sum += f(v);
  return sum / static_cast<double>(x.size());
}

double loss_of(const Var& loss) { return loss.value().item(); }

// Fixed discriminator outputs: moderate values, and large ones of both signs.
const std::vector<double> kReal = {2.5, -0.75, 0.0, 12.0, -3.25, 0.125};
const std::vector<double> kFake = {-1.5, 0.5, -8.0, 30.0};

}  // namespace

TEST_CASE("bce_with_logits equals the textbook formula on moderate logits") {
  // The textbook formula loses digits in log(1 - p) as p nears 1 (about
  // 1e-13 at x = 6); the long double one does not.
  const std::vector<double> x = {-4.0, -1.25, -0.5, 0.0, 0.3, 1.0, 2.75, 6.0};
  const std::vector<double> y = {0.0, 1.0, 0.25, 1.0, 0.0, 0.5, 1.0, 0.0};
  double want = 0;
  for (std::size_t i = 0; i < x.size(); ++i) want += textbook_bce(x[i], y[i]);
  want /= static_cast<double>(x.size());
  double exact = 0;
  for (std::size_t i = 0; i < x.size(); ++i) exact += wide_bce(x[i], y[i]);
  exact /= static_cast<double>(x.size());
  const double got = bce_with_logits_forward(f64({2, 4}, x), f64({2, 4}, y));
  CHECK(std::abs(got - want) <= 1e-12 * want);
  CHECK(std::abs(got - exact) <= 1e-15 * exact);
}

TEST_CASE("bce_with_logits stays exact where the textbook formula overflows") {
  // |x| of 40 and more: sigmoid(x) rounds to 1 (or e^-x overflows), so the
  // textbook formula gives inf or NaN.
  const std::vector<double> x = {1000.0, -1000.0, 800.0, -745.0, 40.0, -40.0};
  const std::vector<double> y = {0.0, 1.0, 1.0, 1.0, 1.0, 0.25};
  CHECK(std::isinf(textbook_bce(1000.0, 0.0)));   // log(1 - 1)
  CHECK(std::isinf(textbook_bce(-1000.0, 1.0)));  // log(1 / (1 + inf))
  CHECK(std::isnan(textbook_bce(40.0, 1.0)));     // 0 log(1 - 1)
  for (std::size_t i = 0; i < x.size(); ++i) {
    CAPTURE(x[i]);
    const double got = bce_with_logits_forward(f64({1}, {x[i]}), f64({1}, {y[i]}));
    const double want = wide_bce(x[i], y[i]);
    CHECK(std::isfinite(got));
    CHECK(std::abs(got - want) <= 1e-15 * std::abs(want));
  }
  // The gradient saturates at sigmoid(x) - y, never NaN.
  const LossInputGrads g =
      bce_with_logits_backward(1.0, f64({2}, {1000.0, -1000.0}), f64({2}, {0.0, 0.0}));
  CHECK(g.da.to_vector() == std::vector<double>{0.5, 0.0});
  CHECK(g.db.to_vector() == std::vector<double>{-500.0, 500.0});
  // In float32 too.
  const Tensor big = Tensor::from_values({2}, {100.0, -100.0});
  CHECK(bce_with_logits_forward(big, Tensor::from_values({2}, {0.0, 1.0})) ==
        doctest::Approx(100.0).epsilon(1e-7));
}

TEST_CASE("bce_with_logits: gradients of the logits and the targets") {
  Rng rng(1);
  for (const Shape& shape : {Shape{7}, Shape{1}, Shape{3, 1}, Shape{2, 3, 4}}) {
    CAPTURE(shape.str());
    const Tensor logits = randn(shape, rng, 0.0, 3.0);
    const Tensor targets = Tensor::uniform(shape, rng, 0.0, 1.0, DType::f64);
    require_close(
        check_gradients([](const std::vector<Var>& in) { return bce_with_logits(in[0], in[1]); },
                        {logits, targets}),
        {"logits", "targets"}, 1e-8);
  }
}

TEST_CASE("mse_loss is mean((x - target)^2), with gradients of both inputs") {
  CHECK(mse_loss_forward(f64({3}, {1, 2, 3}), f64({3}, {0, 2, 5})) == doctest::Approx(5.0 / 3));
  const LossInputGrads g = mse_loss_backward(3.0, f64({2}, {1, 2}), f64({2}, {4, 0}));
  CHECK(g.da.to_vector() == std::vector<double>{-9, 6});  // 3 * 2 (x - t) / 2
  CHECK(g.db.to_vector() == std::vector<double>{9, -6});
  CHECK_FALSE(mse_loss_backward(1.0, f64({1}, {1}), f64({1}, {0}), true, false).db.defined());
  Rng rng(2);
  for (const Shape& shape : {Shape{5}, Shape{1}, Shape{2, 1, 3}}) {
    CAPTURE(shape.str());
    require_close(check_gradients([](const std::vector<Var>& in) { return mse_loss(in[0], in[1]); },
                                  {randn(shape, rng), randn(shape, rng)}),
                  {"x", "target"}, 1e-8);
  }
}

TEST_CASE("The GAN losses equal the course's formulas on fixed scores") {
  Tape tape;
  const Var real = tape.variable(f64({6}, kReal));
  const Var fake = tape.variable(f64({4, 1}, kFake));
  // Vanilla: BCE against ones for real and generated-as-real, zeros for fake,
  // each a mean; the references in long double (the logits reach 30).
  const auto real_bce = [](double x) { return wide_bce(x, 1.0); };
  const auto fake_bce = [](double x) { return wide_bce(x, 0.0); };
  const double d = mean_of(kReal, real_bce) + mean_of(kFake, fake_bce);
  const double g = mean_of(kFake, real_bce);
  CHECK(loss_of(discriminator_loss(real, fake)) == doctest::Approx(d).epsilon(1e-15));
  CHECK(loss_of(generator_loss(fake)) == doctest::Approx(g).epsilon(1e-15));
  // Least squares.
  const auto minus_one_squared = [](double s) { return (s - 1) * (s - 1); };
  const auto squared = [](double s) { return s * s; };
  const double ls_d = 0.5 * mean_of(kReal, minus_one_squared) + 0.5 * mean_of(kFake, squared);
  const double ls_g = 0.5 * mean_of(kFake, minus_one_squared);
  CHECK(loss_of(ls_discriminator_loss(real, fake)) == doctest::Approx(ls_d).epsilon(1e-15));
  CHECK(loss_of(ls_generator_loss(fake)) == doctest::Approx(ls_g).epsilon(1e-15));
  // Worked by hand: scores 1 and 0 are the LS targets, loss 0; logits 0 give
  // log 2 per term.
  const Var one = tape.variable(f64({1}, {1.0})), zero = tape.variable(f64({1}, {0.0}));
  CHECK(loss_of(ls_discriminator_loss(one, zero)) == 0.0);
  CHECK(loss_of(discriminator_loss(zero, zero)) == doctest::Approx(2 * std::log(2.0)));
}

TEST_CASE("The GAN losses: gradients of the real and the fake scores") {
  Rng rng(3);
  const Tensor real = randn({5, 1}, rng, 0.0, 2.0), fake = randn({3, 1}, rng, 0.0, 2.0);
  const std::vector<std::string> both = {"real", "fake"};
  require_close(
      check_gradients([](const std::vector<Var>& in) { return discriminator_loss(in[0], in[1]); },
                      {real, fake}),
      both, 1e-8);
  require_close(check_gradients(
                    [](const std::vector<Var>& in) { return ls_discriminator_loss(in[0], in[1]); },
                    {real, fake}),
                both, 1e-8);
  require_close(
      check_gradients([](const std::vector<Var>& in) { return generator_loss(in[0]); }, {fake}),
      {"fake"}, 1e-8);
  require_close(
      check_gradients([](const std::vector<Var>& in) { return ls_generator_loss(in[0]); }, {fake}),
      {"fake"}, 1e-8);
}

TEST_CASE("bce_with_logits and mse_loss refuse bad shapes and dtypes, naming both") {
  const Tensor x = Tensor::zeros({4, 1});
  CHECK_THROWS_WITH_AS(bce_with_logits_forward(x, Tensor::zeros({4})),
                       "bce_with_logits: targets must have the shape of logits, (4,1), got (4)",
                       ArgumentError);
  CHECK_THROWS_WITH_AS(bce_with_logits_forward(x, Tensor::zeros({4, 1}, DType::f64)),
                       "bce_with_logits: logits is float32 but targets is float64", ArgumentError);
  CHECK_THROWS_WITH_AS(bce_with_logits_forward(Tensor::zeros({0, 1}), Tensor::zeros({0, 1})),
                       "bce_with_logits: logits has a zero-size dimension, shape (0,1)",
                       ArgumentError);
  CHECK_THROWS_WITH_AS(bce_with_logits_forward(x, Tensor()),
                       "bce_with_logits: targets is undefined (an empty Tensor handle)",
                       ArgumentError);
  CHECK_THROWS_WITH_AS(mse_loss_forward(x, Tensor::zeros({1, 4})),
                       "mse_loss: target must have the shape of x, (4,1), got (1,4)",
                       ArgumentError);
  CHECK_THROWS_WITH_AS(mse_loss_backward(1.0, x, Tensor::zeros({3, 1})),
                       "mse_loss backward: target must have the shape of x, (4,1), got (3,1)",
                       ArgumentError);
  Tape tape;
  CHECK_THROWS_WITH_AS(ls_generator_loss(tape.constant(Tensor::zeros({0}))),
                       "mse_loss: x has a zero-size dimension, shape (0)", ArgumentError);
}
