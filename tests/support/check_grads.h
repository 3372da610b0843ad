// Test helper: asserts that every input gradient of a check_gradients() run
// is within a relative error bound, reporting each input's error.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
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

// The numerical gradient of the scalar loss() with respect to `input`, which
// loss() reads (it is perturbed in place and restored), by Richardson's
// extrapolation of centred differences: D(h) = f' + f^(3) h^2 / 6 + O(h^4),
// so (4 D(h) - D(2h)) / 3 = f' + O(h^4). With h = 1e-3 both its truncation
// and its rounding error are about 1e-12, where the plain D(1e-5) carried
// about 1e-10 of rounding noise: enough, for a weight-gradient element that
// sums to nearly zero (1e-4 against elements of 0.1-1), to exceed a relative
// error of 1e-7 on one CPU and not on another (Eigen's kernels round by
// instruction set).
inline Tensor numeric_gradient(const std::function<double()>& loss, const Tensor& input) {
  const auto f = [&](const Tensor&) { return loss(); };
  const std::vector<double> near = eval_numerical_gradient(f, input, 1e-3).to_vector();
  const std::vector<double> far = eval_numerical_gradient(f, input, 2e-3).to_vector();
  std::vector<double> extrapolated(near.size());
  for (std::size_t i = 0; i < near.size(); ++i) extrapolated[i] = (4 * near[i] - far[i]) / 3;
  return Tensor::from_values(input.shape(), extrapolated, DType::f64);
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
