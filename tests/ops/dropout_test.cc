// Inverted dropout.
#include "ops/layers/dropout.h"

#include <doctest/doctest.h>

#include <cmath>

#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "tests/support/check_grads.h"

using namespace tg;

TEST_CASE("dropout zeroes about 1 - keep_prob of the elements and keeps the mean") {
  Rng data_rng(1);
  const Tensor x = Tensor::uniform({500, 200}, data_rng, 1.0, 3.0, DType::f64);
  const auto n = static_cast<double>(x.numel());
  double input_mean = 0, input_square = 0;
  for (double v : x.to_vector()) {
    input_mean += v / n;
    input_square += v * v / n;
  }
  for (double keep_prob : {0.25, 0.5, 0.9}) {
    CAPTURE(keep_prob);
    Rng rng(2);
    const auto r = dropout_forward(x, {keep_prob, Mode::train}, rng);
    double zeros = 0, mean = 0;
    for (double v : r.out.to_vector()) {
      zeros += v == 0.0;
      mean += v / n;
    }
    // Within five standard errors of the expected values: a Bernoulli
    // fraction, and a mean of x * mask / keep_prob with E[out^2] = E[x^2] / keep_prob.
    const double fraction_error = std::sqrt(keep_prob * (1 - keep_prob) / n);
    const double mean_error = std::sqrt((input_square / keep_prob - input_mean * input_mean) / n);
    CHECK(std::abs(zeros / n - (1 - keep_prob)) < 5 * fraction_error);
    CHECK(std::abs(mean - input_mean) < 5 * mean_error);
  }
}

TEST_CASE("dropout kept elements are scaled by 1 / keep_prob") {
  Rng rng(3);
  const Tensor x = Tensor::full({1000}, 2.0);
  const auto r = dropout_forward(x, {0.8, Mode::train}, rng);
  for (double v : r.out.to_vector()) CHECK((v == 0.0 || v == doctest::Approx(2.5)));
}

TEST_CASE("dropout in test mode is the identity, forward and backward") {
  Rng rng(4);
  const Tensor x = Tensor::randn({4, 5}, rng);
  const auto r = dropout_forward(x, {0.3, Mode::test}, rng);
  CHECK(r.out.to_vector() == x.to_vector());
  const Tensor dout = Tensor::randn({4, 5}, rng);
  CHECK(dropout_backward(dout, r.cache).to_vector() == dout.to_vector());
}

TEST_CASE("dropout backward zeroes exactly where forward did") {
  Rng rng(5);
  const Tensor x = Tensor::uniform({50, 40}, rng, 1.0, 2.0, DType::f64);  // no zeros of its own
  const auto r = dropout_forward(x, {0.5, Mode::train}, rng);
  const Tensor dout = Tensor::uniform({50, 40}, rng, 1.0, 2.0, DType::f64);
  const Tensor dx = dropout_backward(dout, r.cache);
  const auto out = r.out.to_vector(), d = dout.to_vector(), g = dx.to_vector();
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 0.0) {
      CHECK(g[i] == 0.0);
    } else {
      CHECK(g[i] == doctest::Approx(2.0 * d[i]));
    }
  }
}

TEST_CASE("dropout is reproducible from a seed") {
  const Tensor x = Tensor::ones({100});
  Rng a(9), b(9), c(10);
  const auto ra = dropout_forward(x, {0.5, Mode::train}, a).out.to_vector();
  CHECK(ra == dropout_forward(x, {0.5, Mode::train}, b).out.to_vector());
  CHECK(ra != dropout_forward(x, {0.5, Mode::train}, c).out.to_vector());
}

TEST_CASE("dropout: gradient with a fixed mask (seeded)") {
  Rng data(6);
  const GradientCheck check = check_gradients(
      [](const std::vector<Var>& in) {
        Rng rng(42);  // the same mask on every evaluation
        return dropout(in[0], {0.6, Mode::train}, rng);
      },
      {Tensor::randn({6, 7}, data, DType::f64)});
  tg::testing::require_close(check, {"x"}, 1e-8);
}

TEST_CASE("dropout rejects keep_prob outside (0, 1]") {
  Rng rng(7);
  const Tensor x = Tensor::ones({3});
  for (double bad : {0.0, -0.5, 1.5, std::nan("")}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(dropout_forward(x, {bad, Mode::train}, rng),
                         doctest::Contains("dropout: keep_prob must be in (0, 1]"), ArgumentError);
  }
  CHECK(dropout_forward(x, {1.0, Mode::train}, rng).out.to_vector() == x.to_vector());
}
