// layernorm and spatial_groupnorm.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "ops/layers/groupnorm.h"
#include "ops/layers/layernorm.h"
#include "tests/support/check_grads.h"

using namespace tg;
using tg::testing::kNormSeedBounds;
using tg::testing::randn;
using tg::testing::require_close;

TEST_CASE("layernorm: gradients") {
  Rng rng(1);
  for (const Shape& shape : {Shape{4, 5}, Shape{1, 6}, Shape{3, 3}}) {
    CAPTURE(shape.str());
    const std::int64_t d = shape[1];
    require_close(
        check_gradients([](const std::vector<Var>& in) { return layernorm(in[0], in[1], in[2]); },
                        {randn(shape, rng, 4.0, 2.0), randn({d}, rng), randn({d}, rng)}),
        kNormSeedBounds);
  }
}

TEST_CASE("layernorm normalises every row") {
  Rng rng(2);
  const Tensor x = randn({3, 50}, rng, -4.0, 6.0);
  const auto r =
      layernorm_forward(x, Tensor::ones({50}, DType::f64), Tensor::zeros({50}, DType::f64));
  for (std::int64_t i = 0; i < 3; ++i) {
    double mean = 0, sq = 0;
    for (std::int64_t d = 0; d < 50; ++d) mean += r.out.at<double>(i, d) / 50;
    for (std::int64_t d = 0; d < 50; ++d) sq += std::pow(r.out.at<double>(i, d) - mean, 2) / 50;
    CHECK(std::abs(mean) < 1e-12);
    CHECK(std::sqrt(sq) == doctest::Approx(1.0).epsilon(1e-5));
  }
}

// (A group of two elements is degenerate, x_hat = +-1 whatever x is, so
// dx vanishes up to eps: every case here has at least four per group.)
TEST_CASE("spatial_groupnorm: gradients for several group counts") {
  Rng rng(3);
  struct Case {
    Shape x;
    std::int64_t groups;
  };
  for (const Case& c : {Case{{2, 6, 3, 3}, 3}, Case{{2, 6, 3, 3}, 1}, Case{{1, 4, 2, 5}, 4},
                        Case{{3, 4, 1, 1}, 1}, Case{{2, 2, 4, 3}, 2}}) {
    CAPTURE(c.x.str());
    CAPTURE(c.groups);
    const std::int64_t channels = c.x[1];
    require_close(check_gradients(
                      [&](const std::vector<Var>& in) {
                        return spatial_groupnorm(in[0], in[1], in[2], {c.groups, 1e-5});
                      },
                      {randn(c.x, rng, 2.0, 3.0), randn({channels}, rng), randn({channels}, rng)}),
                  kNormSeedBounds);
  }
}

TEST_CASE("spatial_groupnorm matches its definition computed directly") {
  Rng rng(4);
  const Tensor x = randn({2, 6, 2, 3}, rng, 1.0, 2.0);
  const Tensor gamma = randn({6}, rng), beta = randn({6}, rng);
  const std::int64_t groups = 3, per_group = 2 * 2 * 3;
  const auto r = spatial_groupnorm_forward(x, gamma, beta, {groups, 1e-5});
  for (std::int64_t n = 0; n < 2; ++n)
    for (std::int64_t g = 0; g < groups; ++g) {
      double mean = 0, var = 0;
      for (std::int64_t c = 2 * g; c < 2 * g + 2; ++c)
        for (std::int64_t h = 0; h < 2; ++h)
          for (std::int64_t w = 0; w < 3; ++w) mean += x.at<double>(n, c, h, w) / per_group;
      for (std::int64_t c = 2 * g; c < 2 * g + 2; ++c)
        for (std::int64_t h = 0; h < 2; ++h)
          for (std::int64_t w = 0; w < 3; ++w)
            var += std::pow(x.at<double>(n, c, h, w) - mean, 2) / per_group;
      for (std::int64_t c = 2 * g; c < 2 * g + 2; ++c)
        for (std::int64_t h = 0; h < 2; ++h)
          for (std::int64_t w = 0; w < 3; ++w) {
            const double expected =
                gamma.at<double>(c) * (x.at<double>(n, c, h, w) - mean) / std::sqrt(var + 1e-5) +
                beta.at<double>(c);
            CHECK(r.out.at<double>(n, c, h, w) == doctest::Approx(expected).epsilon(1e-12));
          }
    }
}

TEST_CASE("layer and group norm reject bad shapes and settings, naming the op") {
  CHECK_THROWS_WITH_AS(spatial_groupnorm_forward(Tensor::zeros({2, 6, 3, 3}), Tensor::ones({6}),
                                                 Tensor::zeros({6}), {4, 1e-5}),
                       "spatial_groupnorm: groups must divide the 6 channels, got 4 (x (2,6,3,3))",
                       ArgumentError);
  CHECK_THROWS_WITH_AS(spatial_groupnorm_forward(Tensor::zeros({2, 6, 3, 3}), Tensor::ones({6}),
                                                 Tensor::zeros({6}), {0, 1e-5}),
                       doctest::Contains("spatial_groupnorm: groups must divide"), ArgumentError);
  CHECK_THROWS_WITH_AS(
      layernorm_forward(Tensor::zeros({2, 4}), Tensor::ones({3}), Tensor::zeros({4})),
      "layernorm: gamma must have shape (4), got (3)", ArgumentError);
  CHECK_THROWS_WITH_AS(
      layernorm_forward(Tensor::zeros({2, 4}), Tensor::ones({4}), Tensor::zeros({4}), -1.0),
      "layernorm: eps must be positive, got -1", ArgumentError);
}
