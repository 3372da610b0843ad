// Test helper: a float32 result held to the rounding error of its sums
// against an exact (float64) reference, element by element.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "graph/tensor.h"

namespace tg::testing {

// The error model of a float32 sum of at most `terms` products of exact
// inputs, against the float64 sum `want`: recursive summation in any order
// errs by at most terms * u * sum|terms| (u = 2^-24), and storing the float32
// result by u |result| more (Higham, Accuracy and Stability, 3.1). `abs_sum`
// is the float64 sum of the terms' magnitudes, element by element (the same
// computation on the inputs' absolute values). Unlike a fixed tolerance this
// holds for any blocking or order a CPU's kernel picks, and a missing or
// wrong term still shows (it errs by about sum|terms| / terms).
inline void check_within_rounding(const Tensor& got, const Tensor& want, const Tensor& abs_sum,
                                  std::int64_t terms) {
  REQUIRE(got.shape() == want.shape());
  REQUIRE(abs_sum.shape() == want.shape());
  constexpr double u = 0x1p-24;
  const std::vector<double> a = got.to_vector(), b = want.to_vector(), m = abs_sum.to_vector();
  std::size_t outside = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::abs(a[i] - b[i]) > static_cast<double>(terms + 1) * u * m[i]) ++outside;
  }
  CHECK(outside == 0);
}

// |t| elementwise, as float64.
inline Tensor abs_of(const Tensor& t) {
  Tensor out = t.to(DType::f64);
  double* v = out.data<double>();
  for (std::int64_t i = 0; i < out.numel(); ++i) v[i] = std::abs(v[i]);
  return out;
}

}  // namespace tg::testing
