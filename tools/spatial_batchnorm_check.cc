// Prints the seed notebook's spatial batch normalization report:
//   bazel run //tools:spatial_batchnorm_check [-- SEED]
#include <fmt/format.h>

#include <cstdlib>
#include <string>

#include "apps/spatial_batchnorm_report.h"

int main(int argc, char** argv) {
  std::uint64_t seed = 0;
  if (argc > 1) {
    char* end = nullptr;
    seed = std::strtoull(argv[1], &end, 10);
    if (end == argv[1] || *end != '\0') {
      fmt::print(stderr,
                 "spatial_batchnorm_check: the seed must be a non-negative integer, got '{}'\n",
                 argv[1]);
      return 2;
    }
  }
  const tg::SpatialBatchnormReport report = tg::run_spatial_batchnorm_check(seed);
  fmt::print("{}", tg::format_report(report));
  const bool ok = report.dx_error < 1e-6 && report.dgamma_error < 1e-6 && report.dbeta_error < 1e-6;
  fmt::print("\n{}\n",
             ok ? "All three errors are below 1e-6." : "FAILED: an error is 1e-6 or more.");
  return ok ? 0 : 1;
}
