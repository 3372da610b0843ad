// Training steps of the recurrent models, as tools/train runs them: the
// model's loss() records forward and backward of the whole sequence on a
// fresh tape, then Adam (lr 1e-3) updates every parameter. The inputs get no
// gradient. PyTorch's side (torch_reference.py) is nn.LSTM with
// batch_first=True and the same layers around it.
//
//   lstm_step   SequenceClassifier: x (64, 28, 28) ~ N(0, 1) read as 28 steps
//               of 28 features; LSTM H = 128 from h0 = 0; the last step's h
//               through affine 128 -> 10; softmax loss over labels in [0, 10).
//               (tools/train --model lstm on Fashion-MNIST, one batch.)
//   charlm_step CharRNN: 64 sequences of 17 symbols in [1, 71) (no padding):
//               embedding 71 -> 64, LSTM H = 256 over the first 16, temporal
//               affine 256 -> 71, temporal softmax loss of the next symbol at
//               every step, summed over the steps and divided by N.
#include <cstdint>

#include "bench/workloads.h"
#include "graph/labels.h"
#include "graph/rng.h"
#include "graph/tensor.h"
#include "models/char_rnn.h"
#include "models/sequence_classifier.h"
#include "optim/update_rules.h"
#include "bench/work.h"
#include "bench/workloads.h"

namespace tg::bench {
namespace {

template <class Model>
Measurement time_training(const BenchContext& context, Model& model, const Tensor& x,
                          const Labels& y, double& loss) {
  Adam adam(1e-3);
  const Protocol protocol = context.protocol(3, 20, 10.0);
  return measure(protocol, [&] {
    model.zero_grad();
    loss = model.loss(x, y);
    adam.step(model.parameters());
  });
}

}  // namespace

void run_lstm_step(const BenchContext& context) {
  constexpr std::int64_t kBatch = 64, kSteps = 28, kFeatures = 28, kHidden = 128, kClasses = 10;
  Rng rng(1);
  const Tensor x = Tensor::randn({kBatch, kSteps, kFeatures}, rng);
  Labels y(kBatch);
  for (auto& label : y) label = static_cast<std::int32_t>(rng.below(kClasses));
  SequenceClassifierOptions options;
  options.cell = CellKind::lstm;
  options.input_dim = kFeatures;
  options.hidden_dim = kHidden;
  options.num_classes = kClasses;
  SequenceClassifier model(options);
  double loss = 0;
  const Measurement m = time_training(context, model, x, y, loss);
  Record record("lstm_step");
  record.set("N", kBatch).set("T", kSteps).set("D", kFeatures).set("H", kHidden);
  record.set("warmup", 3).add_timing(m);
  record.set("sequences_per_s", round_to(kBatch / (m.stats.median_ms / 1e3), 1))
      .set("input_grad", false)
      .set("final_loss", round_to(loss, 5));
  add_work(record, lstm_classifier_step_work(kBatch, kSteps, kFeatures, kHidden, kClasses));
  context.emit(record);
}

void run_charlm_step(const BenchContext& context) {
  constexpr std::int64_t kBatch = 64, kSteps = 16, kSymbols = 71, kEmbed = 64, kHidden = 256;
  Rng rng(1);
  Tensor x = Tensor::empty({kBatch, kSteps + 1});
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    x.data<float>()[i] = static_cast<float>(1 + rng.below(kSymbols - 1));
  }
  CharRnnOptions options;
  for (std::int64_t k = 0; k < kSymbols - 2; ++k) options.alphabet.push_back(U'!' + k);
  options.embed_dim = kEmbed;
  options.hidden_dim = kHidden;
  CharRNN model(options);
  double loss = 0;
  const Measurement m = time_training(context, model, x, Labels(kBatch, 0), loss);
  Record record("charlm_step");
  record.set("N", kBatch).set("T", kSteps).set("V", kSymbols).set("D", kEmbed).set("H", kHidden);
  record.set("warmup", 3).add_timing(m);
  record.set("symbols_per_s", round_to(kBatch * kSteps / (m.stats.median_ms / 1e3), 1))
      .set("final_loss", round_to(loss, 5));
  add_work(record, charlm_step_work(kBatch, kSteps, kSymbols, kEmbed, kHidden));
  context.emit(record);
}

}  // namespace tg::bench
