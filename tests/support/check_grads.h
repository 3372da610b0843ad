// Test helper: asserts that every input gradient of a check_gradients() run
// is within a relative error bound, reporting each input's error.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "graph/tensor.h"

namespace tg::testing {

// Gradient checks run in float64: a float64 tensor of normal samples.
inline Tensor randn(const Shape& shape, Rng& rng, double mean = 0.0, double stddev = 1.0) {
  return Tensor::randn(shape, rng, DType::f64, mean, stddev);
}

struct Bound {
  std::string input;  // labels the input in failure messages: "x", "w", ...
  double max_error;   // on the relative error; kZeroGradient: see below
  // For an input the output does not depend on (a bias right before batch
  // norm): a relative error of rounding noise over rounding noise says
  // nothing, so both gradients are checked to be zero instead.
  static Bound zero(std::string input) { return {std::move(input), kZeroGradient}; }
  static constexpr double kZeroGradient = -1.0;
};

inline double max_abs(const Tensor& t) {
  double worst = 0;
  for (double v : t.to_vector()) worst = std::max(worst, std::abs(v));
  return worst;
}

// One bound per input, in input order.
inline void require_close(const GradientCheck& check, const std::vector<Bound>& bounds) {
  REQUIRE(check.errors.size() == bounds.size());
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (bounds[i].max_error == Bound::kZeroGradient) {
      INFO("d", bounds[i].input, " should be zero: analytic max |.| ", max_abs(check.analytic[i]),
           ", numeric max |.| ", max_abs(check.numeric[i]));
      CHECK(max_abs(check.analytic[i]) < 1e-12);
      CHECK(max_abs(check.numeric[i]) < 1e-8);
      continue;
    }
    INFO("d", bounds[i].input, " relative error ", check.errors[i], " (bound ", bounds[i].max_error,
         ")");
    CHECK(check.errors[i] < bounds[i].max_error);
  }
}

// The same bound for every input.
inline void require_close(const GradientCheck& check, const std::vector<std::string>& inputs,
                          double max_error) {
  std::vector<Bound> bounds;
  for (const std::string& input : inputs) bounds.push_back({input, max_error});
  require_close(check, bounds);
}

// The seed notebook's bounds for a normalization: dx < 1e-6, dgamma and
// dbeta < 1e-8.
inline const std::vector<Bound> kNormSeedBounds = {{"x", 1e-6}, {"gamma", 1e-8}, {"beta", 1e-8}};

}  // namespace tg::testing
