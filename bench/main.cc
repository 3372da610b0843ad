// bench: times the workloads of shared/bench/workloads.md with tapegrad and
// prints one JSON line per workload (or case), with the same field names as
// the PyTorch reference (bench/torch_reference.py), so the two compare
// line by line (bench/compare.py puts them in a table).
//   bazel run //bench -- [--only cnn_step,sbn,...] [--threads 2]
//                              [--case conv1] [--max-calls N]  (the last two for profiling)
// Run one workload per process for a meaningful peak_rss_mib. Exit status: 0
// done, 1 a workload failed (it printed an "error" record), 2 a bad command line.
#include <fmt/format.h>
#include <omp.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/harness.h"
#include "bench/workloads.h"
#include "data/idx.h"
#include "distributed/mpi_replicas.h"
#include "graph/errors.h"
#include "graph/memory.h"

namespace {

using tg::bench::BenchContext;

struct Workload {
  std::string_view name;
  void (*run)(const BenchContext& context);
};

// In the order they run when --only is not given.
const std::vector<Workload>& all_workloads() {
  static const std::vector<Workload> workloads = {
      {"cnn_step", tg::bench::run_cnn_step},
      {"cnn_bn_step", tg::bench::run_cnn_bn_step},
      {"sbn", tg::bench::run_sbn},
      {"conv", tg::bench::run_conv},
      {"mlp_step", tg::bench::run_mlp_step},
      {"lstm_step", tg::bench::run_lstm_step},
      {"charlm_step", tg::bench::run_charlm_step},
      {"predict", tg::bench::run_predict},
      {"tiny_ops", tg::bench::run_tiny_ops},
      {"gemm_peak", tg::bench::run_gemm_peak},
      {"stream", tg::bench::run_stream},
      {"denormals", tg::bench::run_denormals},
      {"train_epochs", tg::bench::run_train_epochs},  // long: whole epochs
      // Data parallelism: under mpirun -np K (docs/distributed.md); alone, K = 1.
      {"dp_step", tg::bench::run_dp_step},
      {"dp_allreduce", tg::bench::run_dp_allreduce},
  };
  return workloads;
}

std::string known_names() {
  std::string names;
  for (const Workload& w : all_workloads())
    names += (names.empty() ? "" : ",") + std::string(w.name);
  return names;
}

// The workloads --only names, in the order given; all of them for an empty list.
std::vector<Workload> select_workloads(const std::vector<std::string>& only) {
  if (only.empty()) return all_workloads();
  std::vector<Workload> chosen;
  for (const std::string& name : only) {
    bool found = false;
    for (const Workload& w : all_workloads()) {
      if (w.name == name) {
        chosen.push_back(w);
        found = true;
      }
    }
    if (!found) {
      throw tg::ArgumentError(
          fmt::format("--only: unknown workload '{}' (known: {})", name, known_names()));
    }
  }
  return chosen;
}

struct BenchOptions {
  std::vector<std::string> only;
  int threads = 2;
  int max_calls = 0;
  std::string case_filter;
  int epochs = 3;
  std::int64_t iterations_per_epoch = 0;
  std::string data_dir;
};

void print_record(const tg::bench::Record& record) {
  std::fputs((record.line(tg::bench::peak_rss_mib()) + "\n").c_str(), stdout);
  std::fflush(stdout);
}

// Runs the workloads; a failing one prints an error record and the rest go on.
int run(const std::vector<Workload>& workloads, const BenchOptions& options,
        tg::Replicas* replicas) {
  omp_set_num_threads(options.threads);
  BenchContext context{options.threads, print_record, options.max_calls, options.case_filter};
  context.replicas = replicas;
  context.epochs = options.epochs;
  context.iterations_per_epoch = options.iterations_per_epoch;
  context.data_dir = options.data_dir;
  if (options.max_calls > 0) {
    // Capped runs are for profilers: say so in every record.
    context.emit = [max_calls = options.max_calls](const tg::bench::Record& record) {
      tg::bench::Record marked = record;
      marked.set("max_calls", max_calls);
      print_record(marked);
    };
  }
  context.emit(tg::bench::environment_record(options.threads));
  const double start = tg::bench::steady_seconds();
  int status = 0;
  for (const Workload& w : workloads) {
    try {
      w.run(context);
    } catch (const std::exception& e) {
      tg::bench::Record error(w.name);
      error.set("error", std::string(e.what()));
      context.emit(error);
      status = 1;
    }
  }
  tg::bench::Record done("done");
  done.set("total_s", tg::bench::round_to(tg::bench::steady_seconds() - start, 1));
  context.emit(done);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench: times tapegrad on the workloads of shared/bench/workloads.md"};
  BenchOptions options;
  app.add_option("--only", options.only, "workloads to run, comma-separated: " + known_names())
      ->delimiter(',');
  app.add_option("--threads", options.threads, "OpenMP threads (omp_set_num_threads)")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-calls", options.max_calls,
                 "for profilers: at most this many warm-up and timed calls per measurement "
                 "(the protocol's figures are then not comparable)")
      ->check(CLI::PositiveNumber);
  app.add_option("--case", options.case_filter,
                 "only the cases of conv, gemm_peak, stream and train_epochs whose name contains "
                 "this text");
  app.add_option("--epochs", options.epochs, "train_epochs: epochs to time")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--iterations-per-epoch", options.iterations_per_epoch,
                 "train_epochs: training steps per epoch (default: a whole epoch, "
                 "training images / 64 = 859)")
      ->check(CLI::PositiveNumber);
  app.add_option("--data-dir", options.data_dir,
                 "train_epochs: folder of the IDX files (default: " +
                     std::string(tg::kFashionMnistFolder) + ")");
  CLI11_PARSE(app, argc, argv);
  tg::retain_freed_memory();  // as tools/train does: freed activations are reused

  std::vector<Workload> workloads;
  try {
    workloads = select_workloads(options.only);
  } catch (const tg::ArgumentError& e) {
    fmt::print(stderr, "bench: {}\n", e.what());
    return 2;
  }
  // Under mpirun (dp_step, dp_allreduce): every process runs the workloads,
  // rank 0 prints. Alone, MPI is never initialised.
  std::unique_ptr<tg::MpiReplicas> replicas;
  if (tg::launched_by_mpi()) {
    replicas = std::make_unique<tg::MpiReplicas>(&argc, &argv);
    if (replicas->rank() != 0 && std::freopen("/dev/null", "w", stdout) == nullptr) return 1;
  }
  return run(workloads, options, replicas.get());
}
