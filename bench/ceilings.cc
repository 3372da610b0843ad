// What this machine can do at best, to read the other numbers against:
// single-precision GEMM (gemm_peak: tapegrad's products, oneDNN's sgemm in
// blocks chosen from the shapes, and Eigen's alone) and memory bandwidth
// with plain loops split over the threads (stream).
#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>

#include "bench/workloads.h"
#include "graph/eigen.h"
#include "graph/parallel.h"
#include "graph/rng.h"
#include "graph/tensor.h"
#include "bench/work.h"
#include "bench/workloads.h"
#include "ops/kernels/matrix_product.h"

namespace tg::bench {
namespace {

constexpr std::uint64_t kDataSeed = 4;
constexpr std::int64_t kStreamGrain = 1 << 16;

void run_gemm_size(const BenchContext& context, std::int64_t n) {
  Rng rng(kDataSeed);
  const Tensor a = Tensor::randn({n, n}, rng);
  const Tensor b = Tensor::randn({n, n}, rng);
  Tensor c = Tensor::zeros({n, n});
  const double flop =
      2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
  for (const bool eigen : {false, true}) {
    for (const int threads : {1, 2}) {
      omp_set_num_threads(threads);
      // PyTorch's records are named "n=... t=..." too; Eigen's must not contain that name.
      const std::string name = eigen ? fmt::format("eigen n={} threads={}", n, threads)
                                     : fmt::format("n={} t={}", n, threads);
      if (!context.wants_case(name)) continue;
      const Protocol protocol = context.protocol(1, 10, 3.0);
      const Measurement m = measure(protocol, [&] {
        if (eigen) {
          as_matrix<float>(c).noalias() = as_matrix<float>(a) * as_matrix<float>(b);
        } else {
          multiply_in_blocks(as_matrix<float>(c), as_matrix<float>(a), as_matrix<float>(b));
        }
      });
      Record record("gemm_peak");
      record.set("case", name)
          .set("api", eigen ? "eigen" : "tapegrad (oneDNN sgemm in blocks)")
          .set("size", n)
          .set("threads", threads)
          .set("warmup", protocol.warmup)
          .add_timing(m)
          .set("GFLOPps", giga_per_s(flop, m.stats.median_ms))
          .set("GFLOPps_best", giga_per_s(flop, m.stats.min_ms));
      // Reads a and b, writes c.
      add_work(record, {flop, 3 * kFloatBytes * static_cast<double>(n) * static_cast<double>(n)});
      context.emit(record);
    }
  }
  omp_set_num_threads(context.threads);
}

// Writes value into every element from the threads that will later read it
// (first touch places the pages).
void fill_in_parallel(Tensor& t, float value) {
  float* data = t.data<float>();
  parallel_for(t.numel(), kStreamGrain, [&](std::int64_t begin, std::int64_t end) {
    std::fill(data + begin, data + end, value);
  });
}

}  // namespace

void run_gemm_peak(const BenchContext& context) {
  for (const std::int64_t n : {1024, 2048}) run_gemm_size(context, n);
}

void run_stream(const BenchContext& context) {
  constexpr std::int64_t kFloats = std::int64_t{64} << 20;  // 256 MiB per array
  Tensor a = Tensor::empty({kFloats});
  Tensor b = Tensor::empty({kFloats});
  Tensor c = Tensor::empty({kFloats});
  fill_in_parallel(a, 1.0f);
  fill_in_parallel(b, 2.0f);
  fill_in_parallel(c, 0.5f);
  float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* pc = c.data<float>();
  const double array_bytes = static_cast<double>(a.bytes());

  struct StreamCase {
    std::string name;
    int arrays;  // arrays touched, in the STREAM convention (no write-allocate)
    std::function<void(std::int64_t, std::int64_t)> body;
  };
  const StreamCase cases[] = {
      {"copy c=a", 2,
       [&](std::int64_t begin, std::int64_t end) { std::copy(pa + begin, pa + end, pc + begin); }},
      {"triad a=b+s*c", 3,
       [&](std::int64_t begin, std::int64_t end) {
         for (std::int64_t i = begin; i < end; ++i) pa[i] = pb[i] + 3.0f * pc[i];
       }},
  };
  for (const StreamCase& s : cases) {
    if (!context.wants_case(s.name)) continue;
    const Protocol protocol = context.protocol(2, 10, 4.0);
    const Measurement m = measure(protocol, [&] { parallel_for(kFloats, kStreamGrain, s.body); });
    const double bytes = s.arrays * array_bytes;
    Record record("stream");
    record.set("case", s.name)
        .set("code", fmt::format("parallel_for, {} threads", context.threads))
        .set("threads", context.threads)
        .set("array_MiB", static_cast<std::int64_t>(array_bytes) >> 20)
        .set("stream_bytes", static_cast<std::int64_t>(bytes))
        .set("warmup", protocol.warmup)
        .add_timing(m)
        .set("GBps", giga_per_s(bytes, m.stats.median_ms))
        .set("GBps_best", giga_per_s(bytes, m.stats.min_ms));
    add_work(record, {0, bytes});
    context.emit(record);
  }
}

}  // namespace tg::bench
