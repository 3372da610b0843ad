// batchnorm and spatial_batchnorm, and the seed notebook's own checks.
#include "ops/layers/batchnorm.h"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "apps/spatial_batchnorm_report.h"
#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "ops/layers/spatial_batchnorm.h"
#include "tests/support/check_grads.h"

using namespace tg;
using tg::testing::kNormSeedBounds;
using tg::testing::randn;
using tg::testing::require_close;

TEST_CASE("The seed notebook: spatial batch norm forward statistics and backward errors") {
  for (std::uint64_t seed : {0, 1, 2}) {
    CAPTURE(seed);
    const SpatialBatchnormReport r = run_spatial_batchnorm_check(seed);
    CHECK(r.shape == Shape{2, 3, 4, 5});
    for (int c = 0; c < 3; ++c) {
      CAPTURE(c);
      // Before: x = 4 randn + 10, so means near 10 and stds near 4.
      CHECK(std::abs(r.before.means[c] - 10.0) < 3.0);
      CHECK(std::abs(r.before.stds[c] - 4.0) < 2.0);
      // gamma = 1, beta = 0: means ~ 0, stds ~ 1 (slightly below: eps = 1e-5).
      CHECK(std::abs(r.after_unit.means[c]) < 1e-12);
      CHECK(std::abs(r.after_unit.stds[c] - 1.0) < 1e-6);
      CHECK(r.after_unit.stds[c] < 1.0);
      // gamma = (3, 4, 5), beta = (6, 7, 8): means = beta, stds = gamma.
      CHECK(std::abs(r.after_affine.means[c] - r.beta[c]) < 1e-12);
      CHECK(std::abs(r.after_affine.stds[c] / r.gamma[c] - 1.0) < 1e-6);
    }
    CHECK(r.dx_error < 1e-6);
    CHECK(r.dgamma_error < 1e-6);
    CHECK(r.dbeta_error < 1e-6);
    CHECK(format_report(r).find("dgamma error") != std::string::npos);
  }
}

TEST_CASE("spatial_batchnorm: gradients in training mode on awkward shapes") {
  Rng rng(1);
  for (const Shape& shape : {Shape{2, 3, 4, 5}, Shape{1, 2, 3, 3}, Shape{4, 3, 1, 1},
                             Shape{3, 2, 5, 2}, Shape{2, 1, 7, 3}}) {
    CAPTURE(shape.str());
    const std::int64_t c = shape[1];
    const GradientCheck check = check_gradients(
        [](const std::vector<Var>& in) {
          BatchNormState bn;
          return spatial_batchnorm(in[0], in[1], in[2], bn);
        },
        {randn(shape, rng, 12.0, 5.0), randn({c}, rng), randn({c}, rng)});
    require_close(check, kNormSeedBounds);
  }
}

TEST_CASE("spatial_batchnorm: gradients in test mode (running statistics are constants)") {
  Rng rng(2);
  BatchNormState bn;
  bn.mode = Mode::test;
  bn.running_mean = randn({3}, rng);
  bn.running_var = Tensor::uniform({3}, rng, 0.5, 2.0, DType::f64);
  const GradientCheck check = check_gradients(
      [&](const std::vector<Var>& in) { return spatial_batchnorm(in[0], in[1], in[2], bn); },
      {randn({2, 3, 3, 4}, rng), randn({3}, rng), randn({3}, rng)});
  require_close(check, kNormSeedBounds);
}

TEST_CASE("spatial_batchnorm equals batch norm of the transposed (N*H*W, C) matrix") {
  Rng rng(3);
  const Tensor x = randn({3, 4, 2, 5}, rng, 3.0, 2.0);
  const Tensor gamma = randn({4}, rng), beta = randn({4}, rng);
  Tensor rows = Tensor::empty({3 * 2 * 5, 4}, DType::f64);  // (N*H*W, C), as the seed reshapes
  for (std::int64_t n = 0; n < 3; ++n)
    for (std::int64_t c = 0; c < 4; ++c)
      for (std::int64_t p = 0; p < 10; ++p)
        rows.at<double>(n * 10 + p, c) = x.at<double>(n, c, p / 5, p % 5);
  BatchNormState spatial_state, flat_state;
  const auto spatial = spatial_batchnorm_forward(x, gamma, beta, spatial_state);
  const auto flat = batchnorm_forward(rows, gamma, beta, flat_state);
  for (std::int64_t n = 0; n < 3; ++n)
    for (std::int64_t c = 0; c < 4; ++c)
      for (std::int64_t p = 0; p < 10; ++p)
        CHECK(spatial.out.at<double>(n, c, p / 5, p % 5) ==
              doctest::Approx(flat.out.at<double>(n * 10 + p, c)).epsilon(1e-12));
  CHECK(rel_error(spatial_state.running_mean, flat_state.running_mean) < 1e-12);
  CHECK(rel_error(spatial_state.running_var, flat_state.running_var) < 1e-12);
}

TEST_CASE("batchnorm (N, D): gradients in training and test mode") {
  Rng rng(4);
  // (N = 2 is degenerate: x_hat = +-1 whatever x is, so dx vanishes up to eps.)
  for (const Shape& shape : {Shape{4, 5}, Shape{3, 2}, Shape{10, 1}}) {
    CAPTURE(shape.str());
    const std::int64_t d = shape[1];
    require_close(check_gradients(
                      [](const std::vector<Var>& in) {
                        BatchNormState bn;
                        return batchnorm(in[0], in[1], in[2], bn);
                      },
                      {randn(shape, rng, 5.0, 3.0), randn({d}, rng), randn({d}, rng)}),
                  kNormSeedBounds);
  }
  BatchNormState test_mode;
  test_mode.mode = Mode::test;
  require_close(
      check_gradients(
          [&](const std::vector<Var>& in) { return batchnorm(in[0], in[1], in[2], test_mode); },
          {randn({3, 4}, rng), randn({4}, rng), randn({4}, rng)}),
      kNormSeedBounds);
}

TEST_CASE("batchnorm: training normalises every feature of the batch") {
  Rng rng(5);
  const Tensor x = randn({200, 3}, rng, 7.0, 3.0);
  BatchNormState bn;
  const auto r =
      batchnorm_forward(x, Tensor::ones({3}, DType::f64), Tensor::zeros({3}, DType::f64), bn);
  for (std::int64_t d = 0; d < 3; ++d) {
    double mean = 0, sq = 0;
    for (std::int64_t i = 0; i < 200; ++i) mean += r.out.at<double>(i, d) / 200;
    for (std::int64_t i = 0; i < 200; ++i) sq += std::pow(r.out.at<double>(i, d) - mean, 2) / 200;
    CHECK(std::abs(mean) < 1e-12);
    CHECK(std::sqrt(sq) == doctest::Approx(1.0).epsilon(1e-5));
  }
}

TEST_CASE("Running statistics start at mean 0 and variance 1 (PyTorch's choice)") {
  Rng rng(7);
  const Tensor x = Tensor::randn({6, 3}, rng, DType::f64);
  const Tensor gamma = Tensor::ones({3}, DType::f64), beta = Tensor::zeros({3}, DType::f64);
  // Test mode on a fresh state: (x - 0) / sqrt(1 + eps).
  BatchNormState fresh;
  fresh.mode = Mode::test;
  const Tensor out = batchnorm_forward(x, gamma, beta, fresh).out;
  CHECK(fresh.running_mean.to_vector() == std::vector<double>{0, 0, 0});
  CHECK(fresh.running_var.to_vector() == std::vector<double>{1, 1, 1});
  for (std::int64_t i = 0; i < 6; ++i) {
    CHECK(out.at<double>(i, 1) == doctest::Approx(x.at<double>(i, 1) / std::sqrt(1 + 1e-5)));
  }
  // One training step: running = 0.9 * (0, 1) + 0.1 * (batch mean, biased variance).
  BatchNormState train;
  batchnorm_forward(x, gamma, beta, train);
  for (std::int64_t d = 0; d < 3; ++d) {
    double mean = 0, var = 0;
    for (std::int64_t i = 0; i < 6; ++i) mean += x.at<double>(i, d) / 6;
    for (std::int64_t i = 0; i < 6; ++i) var += std::pow(x.at<double>(i, d) - mean, 2) / 6;
    CHECK(train.running_mean.at<double>(d) == doctest::Approx(0.1 * mean).epsilon(1e-12));
    CHECK(train.running_var.at<double>(d) == doctest::Approx(0.9 + 0.1 * var).epsilon(1e-12));
  }
}

TEST_CASE("batchnorm: running statistics approach the data's, and test mode uses them") {
  Rng rng(6);
  const std::vector<double> means = {-2.0, 5.0}, stds = {0.5, 3.0};
  BatchNormState bn;  // momentum 0.9
  const Tensor gamma = Tensor::ones({2}, DType::f64), beta = Tensor::zeros({2}, DType::f64);
  for (int step = 0; step < 200; ++step) {
    Tensor x = Tensor::empty({500, 2}, DType::f64);
    for (std::int64_t i = 0; i < 500; ++i)
      for (std::int64_t d = 0; d < 2; ++d) x.at<double>(i, d) = means[d] + stds[d] * rng.normal();
    batchnorm_forward(x, gamma, beta, bn);
  }
  for (std::int64_t d = 0; d < 2; ++d) {
    CHECK(bn.running_mean.at<double>(d) == doctest::Approx(means[d]).epsilon(0.02));
    CHECK(bn.running_var.at<double>(d) == doctest::Approx(stds[d] * stds[d]).epsilon(0.05));
  }
  // Test mode: out = (x - running_mean) / sqrt(running_var + eps), running stats unchanged.
  bn.mode = Mode::test;
  const Tensor before_mean = bn.running_mean.clone();
  const Tensor x = Tensor::from_values({1, 2}, {-2.0, 8.0}, DType::f64);
  const auto r = batchnorm_forward(x, gamma, beta, bn);
  for (std::int64_t d = 0; d < 2; ++d) {
    const double expected = (x.at<double>(0, d) - bn.running_mean.at<double>(d)) /
                            std::sqrt(bn.running_var.at<double>(d) + bn.eps);
    CHECK(r.out.at<double>(0, d) == doctest::Approx(expected).epsilon(1e-12));
  }
  CHECK(rel_error(before_mean, bn.running_mean) == 0.0);
}

TEST_CASE("batch norm in float32 agrees with float64") {
  Rng rng(7);
  const Tensor x = randn({8, 4, 6, 6}, rng, 10.0, 4.0);
  const Tensor gamma = randn({4}, rng), beta = randn({4}, rng);
  BatchNormState s64, s32;
  const auto r64 = spatial_batchnorm_forward(x, gamma, beta, s64);
  const auto r32 =
      spatial_batchnorm_forward(x.to(DType::f32), gamma.to(DType::f32), beta.to(DType::f32), s32);
  CHECK(rel_error(r32.out.to(DType::f64), r64.out) < 1e-3);
  const Tensor dout = randn(x.shape(), rng);
  const auto g64 = spatial_batchnorm_backward(dout, r64.cache);
  const auto g32 = spatial_batchnorm_backward(dout.to(DType::f32), r32.cache);
  CHECK(rel_error(g32.dgamma.to(DType::f64), g64.dgamma) < 1e-3);
}

TEST_CASE("batch norms reject bad shapes and settings, naming the op") {
  const Tensor x = Tensor::zeros({2, 3, 4, 4});
  BatchNormState bn;
  CHECK_THROWS_WITH_AS(spatial_batchnorm_forward(x, Tensor::ones({4}), Tensor::zeros({3}), bn),
                       "spatial_batchnorm: gamma must have shape (3), got (4)", ArgumentError);
  CHECK_THROWS_WITH_AS(
      spatial_batchnorm_forward(Tensor::zeros({2, 3}), Tensor::ones({3}), Tensor::zeros({3}), bn),
      "spatial_batchnorm: x must have rank 4, got shape (2,3)", ArgumentError);
  CHECK_THROWS_WITH_AS(batchnorm_forward(x, Tensor::ones({3}), Tensor::zeros({3}), bn),
                       "batchnorm: x must have rank 2, got shape (2,3,4,4)", ArgumentError);
  BatchNormState bad_momentum;
  bad_momentum.momentum = 1.5;
  CHECK_THROWS_WITH_AS(
      spatial_batchnorm_forward(x, Tensor::ones({3}), Tensor::zeros({3}), bad_momentum),
      "spatial_batchnorm: momentum must be in [0, 1], got 1.5", ArgumentError);
  BatchNormState bad_running;
  bad_running.running_mean = Tensor::zeros({5});
  CHECK_THROWS_WITH_AS(
      spatial_batchnorm_forward(x, Tensor::ones({3}), Tensor::zeros({3}), bad_running),
      "spatial_batchnorm: running_mean must have shape (3), got (5)", ArgumentError);
  BatchNormState bad_eps;
  bad_eps.eps = 0;
  CHECK_THROWS_WITH_AS(
      batchnorm_forward(Tensor::zeros({2, 3}), Tensor::ones({3}), Tensor::zeros({3}), bad_eps),
      "batchnorm: eps must be positive, got 0", ArgumentError);
}
