// A tiny data-parallel training for //tests/distributed:mpi_sync_batchnorm_test, run
// under mpirun (or alone):
//   data_parallel_main f64|f32 sync|local STEPS OUT_FILE [BUCKET_BYTES]
// A ThreeLayerConvNet with spatial batch norm (4 filters 3x3 on 1x8x8
// images, 16 hidden units, 3 classes) trains one epoch of STEPS steps of
// Adam on 8 x STEPS random images with a global batch of 8, data-parallel
// over the processes of the run; "sync" synchronises batch norm over them.
// BUCKET_BYTES is SolverOptions::bucket_bytes (default 64: several buckets
// overlapping backward; 0: one exchange after it). Rank 0 writes every
// parameter value, one per line (%.17g), to OUT_FILE.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "distributed/mpi_replicas.h"
#include "distributed/sync_batchnorm.h"
#include "graph/rng.h"
#include "models/three_layer_convnet.h"
#include "solver/solver.h"

namespace {

void train(const std::string& dtype_name, bool sync, std::int64_t steps, const std::string& out,
           std::size_t bucket_bytes, tg::Replicas* replicas) {
  const tg::DType dtype = dtype_name == "f64" ? tg::DType::f64 : tg::DType::f32;
  tg::Rng rng(11);
  const std::int64_t n = 8 * steps;
  const tg::Tensor x = tg::Tensor::randn({n, 1, 8, 8}, rng, dtype);
  tg::Labels y(static_cast<std::size_t>(n));
  for (auto& label : y) label = static_cast<std::int32_t>(rng.below(3));
  tg::ThreeLayerConvNetOptions o;
  o.input_dim = {1, 8, 8};
  o.num_filters = 4;
  o.filter_size = 3;
  o.hidden_dim = 16;
  o.num_classes = 3;
  o.init = {tg::WeightInit::Kind::kaiming, 0.0};
  o.dtype = dtype;
  o.spatial_batchnorm = true;
  o.seed = 5;
  tg::ThreeLayerConvNet model(o);
  std::optional<tg::ReplicaStatisticsSum> batchnorm_sync;
  if (sync && replicas != nullptr) batchnorm_sync.emplace(*replicas);
  tg::SolverOptions options;
  options.update_rule = "adam";
  options.optim_config.learning_rate = 1e-2;
  options.batch_size = 8;
  options.num_epochs = 1;
  options.verbose = false;
  options.num_train_samples = 100;
  options.replicas = replicas;
  options.bucket_bytes = bucket_bytes;
  if (batchnorm_sync) options.batchnorm_sync = &*batchnorm_sync;
  tg::Solver solver(model, {x, y, x, y}, options);
  solver.train();
  if (replicas != nullptr && replicas->rank() != 0) return;
  std::FILE* file = std::fopen(out.c_str(), "w");
  if (file == nullptr) throw std::runtime_error("cannot write " + out);
  for (const tg::Parameter& p : model.parameters()) {
    const tg::Tensor v = p.value().to(tg::DType::f64);
    for (std::int64_t i = 0; i < v.numel(); ++i) fmt::print(file, "{:.17g}\n", v.data<double>()[i]);
  }
  std::fclose(file);
}

}  // namespace

int main(int argc, char** argv) {
  std::unique_ptr<tg::MpiReplicas> replicas;
  if (tg::launched_by_mpi()) replicas = std::make_unique<tg::MpiReplicas>(&argc, &argv);
  if (argc != 5 && argc != 6) {
    fmt::print(stderr,
               "usage: data_parallel_main f64|f32 sync|local STEPS OUT_FILE [BUCKET_BYTES]\n");
    return 2;
  }
  try {
    const std::size_t bucket_bytes = argc == 6 ? std::strtoull(argv[5], nullptr, 10) : 64;
    train(argv[1], std::string(argv[2]) == "sync", std::atoll(argv[3]), argv[4], bucket_bytes,
          replicas.get());
  } catch (const std::exception& error) {
    fmt::print(stderr, "data_parallel_main: {}\n", error.what());
    if (replicas != nullptr) replicas->abort(1);
    return 1;
  }
  return 0;
}
