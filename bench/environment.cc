// The "env" record: what the numbers were measured on.
#include <fmt/format.h>
#include <omp.h>
#include <unistd.h>

#include <Eigen/Core>
#include <fstream>
#include <string>

#include "bench/workloads.h"

namespace tg::bench {
namespace {

// The first "model name" of /proc/cpuinfo, or "unknown".
std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const std::size_t colon = line.find(':');
    if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
  }
  return "unknown";
}

}  // namespace

Record environment_record(int threads) {
  Record record("env");
  record.set("threads", threads)
      .set("omp_max_threads", omp_get_max_threads())
      .set("nproc", static_cast<std::int64_t>(sysconf(_SC_NPROCESSORS_ONLN)))
      .set("cpu_model", cpu_model())
      .set("compiler", std::string(__VERSION__))
      .set("eigen",
           fmt::format("{}.{}.{}", EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION))
      .set("eigen_simd", std::string(Eigen::SimdInstructionSetsInUse()));
  return record;
}

}  // namespace tg::bench
