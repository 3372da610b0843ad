// The "env" record: what the numbers were measured on.
#include <fmt/format.h>
#include <omp.h>
#include <unistd.h>

#include <Eigen/Core>
#include <cstdlib>
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

// The malloc this process runs on: jemalloc or tcmalloc when one is mapped
// (LD_PRELOAD), else glibc's with the MALLOC_ tunables of the environment,
// so compare.py can tell that the configuration it asked for is in effect.
std::string malloc_in_use() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    for (const char* name : {"jemalloc", "tcmalloc"}) {
      if (line.find(std::string("lib") + name) != std::string::npos) return name;
    }
  }
  std::string tunables;
  for (const char* name : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"}) {
    if (const char* value = std::getenv(name)) {
      tunables += fmt::format("{}{}={}", tunables.empty() ? "" : " ", name, value);
    }
  }
  return tunables.empty() ? "glibc" : fmt::format("glibc ({})", tunables);
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
      .set("eigen_simd", std::string(Eigen::SimdInstructionSetsInUse()))
      .set("malloc", malloc_in_use());
  return record;
}

}  // namespace tg::bench
