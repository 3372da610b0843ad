// The seed notebook's spatial batch normalization checks, as a function: the
// forward statistics before and after normalisation for (N, C, H, W) =
// (2, 3, 4, 5), and the backward pass against numerical gradients.
// tools/spatial_batchnorm_check prints it; tests/batchnorm_test asserts it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph/shape.h"

namespace tg {

// Per-channel mean and (population) standard deviation over axes (0, 2, 3).
struct ChannelStats {
  std::vector<double> means;
  std::vector<double> stds;
};

struct SpatialBatchnormReport {
  Shape shape;
  ChannelStats before;        // x = 4 randn + 10
  ChannelStats after_unit;    // gamma = 1, beta = 0: means ~ 0, stds ~ 1
  std::vector<double> gamma;  // (3, 4, 5)
  std::vector<double> beta;   // (6, 7, 8)
  ChannelStats after_affine;  // means ~ beta, stds ~ gamma
  double dx_error = 0;        // relative errors against numerical gradients
  double dgamma_error = 0;
  double dbeta_error = 0;
};

SpatialBatchnormReport run_spatial_batchnorm_check(std::uint64_t seed);

// The notebook's printout.
std::string format_report(const SpatialBatchnormReport& report);

}  // namespace tg
