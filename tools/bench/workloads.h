// The workloads of shared/bench/workloads.md, each printing its JSON records
// through the context. One file per group: model_steps.cc (cnn_step,
// cnn_bn_step, mlp_step), kernels.cc (sbn, conv), tiny_ops.cc, ceilings.cc
// (gemm_peak, stream).
#pragma once

#include <functional>

#include "tools/bench/harness.h"

namespace tg::bench {

struct BenchContext {
  int threads = 2;                          // what omp_set_num_threads was given
  std::function<void(const Record&)> emit;  // prints one record
};

void run_cnn_step(const BenchContext& context);
void run_cnn_bn_step(const BenchContext& context);
void run_mlp_step(const BenchContext& context);
void run_sbn(const BenchContext& context);
void run_conv(const BenchContext& context);
void run_tiny_ops(const BenchContext& context);
void run_gemm_peak(const BenchContext& context);
void run_stream(const BenchContext& context);

// The first record: machine, compiler and thread settings.
Record environment_record(int threads);

}  // namespace tg::bench
