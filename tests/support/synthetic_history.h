// A made-up but realistic training history for tests: a noisy loss decaying
// from about 2.3 towards 0.5, and accuracies rising towards 0.75 / 0.6.
// Products are added with std::fma, as GCC contracts them at -O2 and above,
// so the values (and run_files_golden_test's files) are the same bits in the
// optimised and the sanitizer (-O1) builds.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "graph/rng.h"
#include "report/history.h"

namespace tg::testing {

inline History synthetic_history(std::int64_t iterations, std::int64_t epochs,
                                 std::uint64_t seed = 7, double lr = 1e-3) {
  Rng rng(seed);
  History history;
  const std::int64_t per_epoch =
      std::max<std::int64_t>(1, iterations / std::max<std::int64_t>(1, epochs));
  for (std::int64_t i = 1; i <= iterations; ++i) {
    const double t = static_cast<double>(i) / static_cast<double>(iterations);
    const double mean = std::fma(1.8, std::exp(-4.0 * t), 0.5);
    const double loss = mean * std::fma(0.15, rng.normal(), 1.0);
    const double epoch = static_cast<double>(i) / static_cast<double>(per_epoch);
    history.iterations.push_back({i, epoch, loss, lr * std::pow(0.95, std::floor(epoch))});
  }
  for (std::int64_t e = 1; e <= epochs; ++e) {
    const double t = static_cast<double>(e) / static_cast<double>(epochs);
    const double train = std::fma(0.01, rng.normal(), std::fma(-0.5, std::exp(-3.0 * t), 0.75));
    const double val = std::fma(0.01, rng.normal(), std::fma(-0.4, std::exp(-3.0 * t), 0.60));
    history.epochs.push_back({e, train, val, lr * std::pow(0.95, e - 1), 10.0 + rng.uniform()});
  }
  return history;
}

}  // namespace tg::testing
