// Inference on the default model of tools/train (ThreeLayerConvNet with
// spatial batch norm on Fashion-MNIST's 1x28x28 images: conv 7x7, 32 filters
// - batch norm - relu - 2x2 max pool - affine 100 - relu - affine 10), as
// tools/predict runs it: Module::scores in evaluation mode, on a tape that
// records no backward closures. PyTorch's side: model.eval() under
// torch.inference_mode().
#include <cstdint>

#include "bench/workloads.h"
#include "graph/rng.h"
#include "graph/tensor.h"
#include "models/three_layer_convnet.h"
#include "bench/work.h"
#include "bench/workloads.h"

namespace tg::bench {

void run_predict(const BenchContext& context) {
  constexpr std::int64_t kBatch = 256;
  Rng rng(1);
  const Tensor x = Tensor::randn({kBatch, 1, 28, 28}, rng);

  ThreeLayerConvNetOptions options;
  options.input_dim = {1, 28, 28};
  options.num_filters = 32;
  options.filter_size = 7;
  options.hidden_dim = 100;
  options.num_classes = 10;
  options.init.kind = WeightInit::Kind::kaiming;
  options.spatial_batchnorm = true;
  ThreeLayerConvNet model(options);
  model.eval();

  double checksum = 0;
  const Protocol protocol = context.protocol(3, 20, 10.0);
  const Measurement m = measure(protocol, [&] { checksum = model.scores(x).to_vector()[0]; });
  Record record("predict");
  record.set("N", kBatch).set("warmup", protocol.warmup).add_timing(m);
  record.set("images_per_s", round_to(kBatch / (m.stats.median_ms / 1e3), 1))
      .set("first_score", round_to(checksum, 5));
  add_work(record, convnet_inference_work({kBatch, 1, 28, 28, 32, 7, 100, 10, true}));
  context.emit(record);
}

}  // namespace tg::bench
