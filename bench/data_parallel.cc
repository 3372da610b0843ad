// Data-parallel workloads, run under `mpirun -np K bazel-bin/bench/bench --only
// dp_step,dp_allreduce` (alone they run as K = 1): every process runs them
// and rank 0 prints the records (docs/distributed.md).
//   dp_step: cnn_step's model and data (ThreeLayerConvNet without batch
//     norm, 64 images of 3x32x32), the global batch of 64 split over the K
//     processes; one step is the slice's forward and backward, the gradients
//     averaged in rank order (graph/replicas.h, what the Solver does) and
//     Adam's update. Two records: "overlap": false (one exchange after
//     backward) and true (1 MiB buckets started while backward runs,
//     OverlappedAverage, the Solver's default).
//   dp_allreduce: that gradient averaging alone, for the bandwidth and
//     latency of the α–β model.
// The protocols have no time budget: every process must make the same
// number of calls, or the collectives would wait forever.
#include <cstdint>
#include <vector>

#include "bench/workloads.h"
#include "distributed/replicas.h"
#include "graph/errors.h"
#include "graph/labels.h"
#include "graph/rng.h"
#include "graph/tensor.h"
#include "models/three_layer_convnet.h"
#include "optim/update_rules.h"

namespace tg::bench {
namespace {

constexpr std::int64_t kGlobalBatch = 64;
constexpr double kNoBudget = 1e9;

ThreeLayerConvNetOptions cnn_step_model() {
  ThreeLayerConvNetOptions options;
  options.input_dim = {3, 32, 32};
  options.num_filters = 32;
  options.filter_size = 7;
  options.hidden_dim = 100;
  options.num_classes = 10;
  options.init.kind = WeightInit::Kind::kaiming;
  return options;
}

void average_gradients(Replicas* replicas, Module& model) {
  if (replicas == nullptr || replicas->size() == 1) return;
  const std::vector<Parameter> parameters = model.parameters();  // one walk of the tree
  std::vector<Tensor> grads;
  for (const Parameter& p : parameters) grads.push_back(p.grad());
  const std::vector<Tensor> means = average_in_rank_order(*replicas, grads);
  for (std::size_t i = 0; i < means.size(); ++i) parameters[i].grad() = means[i];
}

std::int64_t gradient_bytes(const Module& model) {
  std::int64_t bytes = 0;
  for (const Parameter& p : model.parameters())
    bytes += static_cast<std::int64_t>(p.value().bytes());
  return bytes;
}

Record with_processes(Record record, const BenchContext& context) {
  const int k = context.replicas != nullptr ? context.replicas->size() : 1;
  record.set("processes", k).set("threads_per_process", context.threads);
  return record;
}

}  // namespace

void run_dp_step(const BenchContext& context) {
  const int k = context.replicas != nullptr ? context.replicas->size() : 1;
  const int rank = context.replicas != nullptr ? context.replicas->rank() : 0;
  if (kGlobalBatch % k != 0) {
    throw ArgumentError("dp_step: the global batch of 64 is not divisible by the processes");
  }
  const std::int64_t slice = kGlobalBatch / k;
  Rng rng(1);  // cnn_step's data seed
  const Tensor x = Tensor::randn({kGlobalBatch, 3, 32, 32}, rng);
  Labels y(static_cast<std::size_t>(kGlobalBatch));
  for (auto& label : y) label = static_cast<std::int32_t>(rng.below(10));
  std::vector<std::int64_t> rows;
  for (std::int64_t i = 0; i < slice; ++i) rows.push_back(rank * slice + i);
  const Tensor x_slice = take_rows(x, rows);
  const Labels y_slice(y.begin() + rank * slice, y.begin() + (rank + 1) * slice);

  for (const bool overlap : {false, true}) {
    ThreeLayerConvNet model(cnn_step_model());
    Adam adam(1e-3);
    double loss = 0;
    const bool data_parallel = context.replicas != nullptr && k > 1;
    const Protocol protocol = context.protocol(3, 20, kNoBudget);
    const Measurement m = measure(protocol, [&] {
      model.zero_grad();
      if (overlap && data_parallel) {
        OverlappedAverage average(*context.replicas, model.parameters(), std::size_t{1} << 20);
        LossOptions options;
        options.on_parameter_grad = [&](const Parameter& p) { average.ready(p); };
        loss = model.loss(x_slice, y_slice, options);
        average.finish();
      } else {
        loss = model.loss(x_slice, y_slice);
        average_gradients(context.replicas, model);
      }
      adam.step(model.parameters());
    });
    Record record = with_processes(Record("dp_step"), context);
    record.set("overlap", overlap).set("N", kGlobalBatch).set("N_per_process", slice);
    record.set("warmup", protocol.warmup).add_timing(m);
    record.set("images_per_s", round_to(kGlobalBatch / (m.stats.median_ms / 1e3), 1))
        .set("gradient_bytes", gradient_bytes(model))
        .set("final_loss_rank0", round_to(loss, 5));
    context.emit(record);
  }
}

void run_dp_allreduce(const BenchContext& context) {
  ThreeLayerConvNet model(cnn_step_model());
  std::vector<Tensor> grads;
  for (const Parameter& p : model.parameters()) grads.push_back(p.value());
  const std::int64_t bytes = gradient_bytes(model);
  const Protocol protocol = context.protocol(3, 30, kNoBudget);
  const Measurement m = measure(protocol, [&] {
    if (context.replicas != nullptr) average_in_rank_order(*context.replicas, grads);
  });
  Record record = with_processes(Record("dp_allreduce"), context);
  record.set("gradient_bytes", bytes).set("warmup", protocol.warmup).add_timing(m);
  context.emit(record);
}

}  // namespace tg::bench
