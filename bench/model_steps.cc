// Training steps of whole models, built as a user would: the model's loss()
// records forward and backward on a fresh tape (the images are a tape
// constant, so the first conv computes no input gradient), then the
// optimizer updates every parameter.
#include <cstdint>

#include "bench/workloads.h"
#include "graph/labels.h"
#include "graph/rng.h"
#include "graph/tensor.h"
#include "models/fully_connected_net.h"
#include "models/three_layer_convnet.h"
#include "optim/update_rules.h"
#include "bench/work.h"
#include "bench/workloads.h"

namespace tg::bench {
namespace {

constexpr std::uint64_t kDataSeed = 1;
constexpr std::int64_t kClasses = 10;

Labels random_labels(std::int64_t n, Rng& rng) {
  Labels labels(static_cast<std::size_t>(n));
  for (auto& label : labels) label = static_cast<std::int32_t>(rng.below(kClasses));
  return labels;
}

void run_convnet_step(const BenchContext& context, bool spatial_batchnorm) {
  constexpr std::int64_t kBatch = 64;
  Rng rng(kDataSeed);
  const Tensor x = Tensor::randn({kBatch, 3, 32, 32}, rng);
  const Labels y = random_labels(kBatch, rng);

  ThreeLayerConvNetOptions options;
  options.input_dim = {3, 32, 32};
  options.num_filters = 32;
  options.filter_size = 7;
  options.hidden_dim = 100;
  options.num_classes = kClasses;
  options.init.kind = WeightInit::Kind::kaiming;
  options.spatial_batchnorm = spatial_batchnorm;
  ThreeLayerConvNet model(options);
  Adam adam(1e-3);

  double loss = 0;
  const Protocol protocol = context.protocol(3, 20, 15.0);
  const Measurement m = measure(protocol, [&] {
    model.zero_grad();
    loss = model.loss(x, y);
    adam.step(model.parameters());
  });
  Record record(spatial_batchnorm ? "cnn_bn_step" : "cnn_step");
  record.set("N", kBatch).set("warmup", protocol.warmup).add_timing(m);
  record.set("images_per_s", round_to(kBatch / (m.stats.median_ms / 1e3), 1))
      .set("input_grad", false)
      .set("final_loss", round_to(loss, 5));
  add_work(record, convnet_step_work({kBatch, 3, 32, 32, double(options.num_filters),
                                      double(options.filter_size), double(options.hidden_dim),
                                      kClasses, spatial_batchnorm}));
  context.emit(record);
}

}  // namespace

void run_cnn_step(const BenchContext& context) { run_convnet_step(context, false); }

void run_cnn_bn_step(const BenchContext& context) { run_convnet_step(context, true); }

void run_mlp_step(const BenchContext& context) {
  constexpr std::int64_t kBatch = 200;
  Rng rng(kDataSeed);
  const Tensor x = Tensor::randn({kBatch, 3072}, rng);
  const Labels y = random_labels(kBatch, rng);

  FullyConnectedNetOptions options;
  options.hidden_dims = {100, 100, 100, 100};
  options.input_dim = 3072;
  options.num_classes = kClasses;
  options.keep_prob = 0.5;
  options.normalization = Normalization::batchnorm;
  options.init.kind = WeightInit::Kind::kaiming;
  FullyConnectedNet model(options);
  SgdMomentum sgd(1e-2, 0.9);

  double loss = 0;
  const Protocol protocol = context.protocol(5, 50, 8.0);
  const Measurement m = measure(protocol, [&] {
    model.zero_grad();
    loss = model.loss(x, y);
    sgd.step(model.parameters());
  });
  Record record("mlp_step");
  record.set("N", kBatch).set("warmup", protocol.warmup).add_timing(m);
  record.set("samples_per_s", round_to(kBatch / (m.stats.median_ms / 1e3), 1))
      .set("input_grad", false)
      .set("final_loss", round_to(loss, 5));
  add_work(record, mlp_step_work(kBatch, 3072, {100, 100, 100, 100}, kClasses));
  context.emit(record);
}

}  // namespace tg::bench
