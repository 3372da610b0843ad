// The workloads of shared/bench/workloads.md, each printing its JSON records
// through the context. One file per group: model_steps.cc (cnn_step,
// cnn_bn_step, mlp_step), recurrent_steps.cc (lstm_step, charlm_step),
// predict.cc, kernels.cc (sbn, conv), tiny_ops.cc, ceilings.cc (gemm_peak,
// stream), denormals.cc, train_epochs.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "bench/harness.h"
#include "distributed/replicas.h"

namespace tg::bench {

struct BenchContext {
  int threads = 2;                          // what omp_set_num_threads was given
  std::function<void(const Record&)> emit;  // prints one record
  int max_calls = 0;                        // > 0: protocols capped for profilers
  std::string case_filter;                  // non-empty: only cases whose name contains it
  // train_epochs: whole epochs, each of iterations_per_epoch steps (0: the
  // training images / batch, as the Solver counts), on the IDX files in
  // data_dir (empty: Debian's Fashion-MNIST folder).
  int epochs = 3;
  std::int64_t iterations_per_epoch = 0;
  std::string data_dir;
  // dp_step, dp_allreduce: the processes of `mpirun -np K bench` (null: one).
  Replicas* replicas = nullptr;

  Protocol protocol(int warmup, int iterations, double budget_s) const {
    return capped({warmup, iterations, budget_s}, max_calls);
  }
  bool wants_case(std::string_view name) const {
    return case_filter.empty() || name.find(case_filter) != std::string_view::npos;
  }
};

void run_cnn_step(const BenchContext& context);
void run_cnn_bn_step(const BenchContext& context);
void run_mlp_step(const BenchContext& context);
void run_lstm_step(const BenchContext& context);
void run_charlm_step(const BenchContext& context);
void run_predict(const BenchContext& context);
void run_sbn(const BenchContext& context);
void run_conv(const BenchContext& context);
void run_tiny_ops(const BenchContext& context);
void run_gemm_peak(const BenchContext& context);
void run_stream(const BenchContext& context);
void run_denormals(const BenchContext& context);     // tapegrad only: FTZ/DAZ vs flushing in Adam
void run_train_epochs(const BenchContext& context);  // train_epochs.h
void run_dp_step(const BenchContext& context);       // data_parallel.cc
void run_dp_allreduce(const BenchContext& context);

// The first record: machine, compiler and thread settings.
Record environment_record(int threads);

}  // namespace tg::bench
