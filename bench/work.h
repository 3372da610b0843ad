// The work of one timed unit, for the roofline column of compare.py: its
// FLOPs and the fewest bytes it must move, so a time can be read against the
// machine's limit, max(FLOPs / GEMM peak, bytes / stream bandwidth).
//
// FLOPs: 2 per multiply-add of the products (convolutions, affine layers, the
// recurrent layers' gate products, GEMM), as the standard algorithms compute
// them (no Winograd or FFT). Elementwise arithmetic (activations, batch norm,
// pooling, the loss, the optimizer) is not counted: it does a few operations
// per float it touches, far below the machine's balance (GEMM peak / stream
// bandwidth, tens of FLOPs per float), so its bytes bound it, not its FLOPs.
//
// Bytes (float32): what the unit cannot avoid moving, each tensor once per
// call that needs it; everything else is taken to stay in cache or be fused
// away, so the figure is a lower bound.
//   - A kernel call (conv, sbn, GEMM, a stream loop) reads its inputs and
//     writes its outputs once; forward and backward are separate calls (so
//     sbn counts x twice, as shared/bench/workloads.md does).
//   - A training step reads the batch in the forward and again in the
//     backward; reads every parameter in the forward and in the backward and
//     writes its gradient; the optimizer reads and writes parameter-sized
//     tensors (Adam: w, g, m, v read, w, m, v written; SGD with momentum: w,
//     g, v read, w, v written); and the input of every layer with parameters
//     after the first (what the backward needs for the weight gradients) is
//     written by the forward and read by the backward. Masks (relu, pooling,
//     dropout), statistics and the loss are not counted.
//   - Inference reads the batch and the parameters and writes the scores.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/harness.h"

namespace tg::bench {

struct Work {
  double flops = 0;
  double bytes = 0;
};

// "flops" and "bytes" (behind prefix: "fwd_flops"...), as integers.
inline Record& add_work(Record& record, const Work& work, std::string_view prefix = "") {
  const std::string p(prefix);
  return record.set(p + "flops", static_cast<std::int64_t>(work.flops))
      .set(p + "bytes", static_cast<std::int64_t>(work.bytes));
}

constexpr double kFloatBytes = 4;
// Parameter-sized tensors the update reads and writes per step.
constexpr int kAdamPasses = 7;         // w, g, m, v read; w, m, v written
constexpr int kSgdMomentumPasses = 5;  // w, g, v read; w, v written

inline double product_flops(double m, double k, double n) { return 2 * m * k * n; }

// The training-step rule above, in floats: the batch twice, each parameter
// read twice and its gradient written, the optimizer's passes, the saved
// activations written and read.
inline double training_step_bytes(double batch_floats, double parameter_floats,
                                  double saved_floats, int optimizer_passes) {
  return kFloatBytes * (2 * batch_floats + parameter_floats * (3 + optimizer_passes) +
                        2 * saved_floats);
}

// ThreeLayerConvNet on (n, c, h, w): conv k x k with f filters and 'same'
// padding, [spatial batch norm], relu, 2x2 max pool, affine -> hidden, relu,
// affine -> classes.
struct ConvNetShape {
  double n, c, h, w, f, k, hidden, classes;
  bool batchnorm;

  double conv_flops() const { return 2 * n * f * c * k * k * h * w; }
  double flat() const { return f * (h / 2) * (w / 2); }  // the pooled features
  double affine_flops() const {
    return product_flops(n, flat(), hidden) + product_flops(n, hidden, classes);
  }
  double parameters() const {
    return f * c * k * k + f + (batchnorm ? 2 * f : 0) + flat() * hidden + hidden +
           hidden * classes + classes;
  }
};

// A training step with Adam and no input gradient (cnn_step, cnn_bn_step,
// train_epochs): the conv's weight gradient is one more forward's work, each
// affine layer's input and weight gradients two more.
inline Work convnet_step_work(const ConvNetShape& s) {
  const double saved = (s.batchnorm ? s.n * s.f * s.h * s.w : 0)  // batch norm's input
                       + s.n * s.flat() + s.n * s.hidden;         // the affine layers' inputs
  return {2 * s.conv_flops() + 3 * s.affine_flops(),
          training_step_bytes(s.n * s.c * s.h * s.w, s.parameters(), saved, kAdamPasses)};
}

// Inference (predict): the forward alone.
inline Work convnet_inference_work(const ConvNetShape& s) {
  return {s.conv_flops() + s.affine_flops(),
          kFloatBytes * (s.n * s.c * s.h * s.w + s.parameters() + s.n * s.classes)};
}

// FullyConnectedNet: [affine -> batch norm -> relu -> dropout] per hidden
// width, then affine -> classes; SGD with momentum; no input gradient (the
// first layer's backward is its weight gradient alone).
inline Work mlp_step_work(double n, double input, const std::vector<double>& hidden,
                          double classes) {
  double flops = 0, parameters = 0, saved = 0, in = input;
  std::vector<double> widths = hidden;
  widths.push_back(classes);
  for (std::size_t i = 0; i < widths.size(); ++i) {
    const double out = widths[i];
    flops += product_flops(n, in, out) * (i == 0 ? 2 : 3);
    parameters += in * out + out;
    if (i + 1 < widths.size()) {
      parameters += 2 * out;  // gamma, beta
      saved += 2 * n * out;   // batch norm's input and the next affine's input
    }
    in = out;
  }
  return {flops, training_step_bytes(n * input, parameters, saved, kSgdMomentumPasses)};
}

// An LSTM's gate products over t steps, forward: x_t W_x and h_{t-1} W_h, 4
// gates of h.
inline double lstm_forward_flops(double n, double t, double d, double h) {
  return t * (product_flops(n, d, 4 * h) + product_flops(n, h, 4 * h));
}

// SequenceClassifier (lstm_step): LSTM over t steps of d features from a zero
// state, the last h through affine -> classes; Adam; no input gradient (the
// x products' backward is their weight gradient alone).
inline Work lstm_classifier_step_work(double n, double t, double d, double h, double classes) {
  const double flops = lstm_forward_flops(n, t, d, h) +
                       t * (product_flops(n, d, 4 * h) + 2 * product_flops(n, h, 4 * h)) +
                       3 * product_flops(n, h, classes);
  const double parameters = 4 * h * (d + h) + 4 * h + h * classes + classes;
  const double saved = t * n * h;  // h_1 .. h_t: the recurrent products' and the affine's inputs
  return {flops, training_step_bytes(n * t * d, parameters, saved, kAdamPasses)};
}

// CharRNN (charlm_step): embedding v -> d, LSTM over t steps, temporal affine
// h -> v at every step; Adam. The LSTM's input (the embedded symbols) gets a
// gradient, for the embedding's.
inline Work charlm_step_work(double n, double t, double v, double d, double h) {
  const double flops = 3 * lstm_forward_flops(n, t, d, h) + 3 * product_flops(n * t, h, v);
  const double parameters = v * d + 4 * h * (d + h) + 4 * h + h * v + v;
  const double saved = t * n * d + t * n * h;  // the LSTM's inputs and h_1 .. h_t
  return {flops, training_step_bytes(n * (t + 1), parameters, saved, kAdamPasses)};
}

}  // namespace tg::bench
