// Bad input, table-driven: every public op, model, optimizer and Solver
// option rejects wrong ranks, mismatched or zero-size dimensions, bad
// strides and pads, keep_prob outside (0, 1] and labels out of range with an
// ArgumentError whose message names the op and says what it got; model files
// and images that are truncated, damaged, of another version or of another
// model are refused with a FileError naming the file.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/image_file.h"
#include "data/preprocess.h"
#include "graph/errors.h"
#include "graph/rng.h"
#include "graph/tape.h"
#include "io/checkpoint.h"
#include "models/fully_connected_net.h"
#include "models/model_file.h"
#include "models/three_layer_convnet.h"
#include "ops/conv/avg_pool2d.h"
#include "ops/conv/conv2d.h"
#include "ops/conv/max_pool2d.h"
#include "ops/layers/batchnorm.h"
#include "ops/layers/dropout.h"
#include "ops/layers/groupnorm.h"
#include "ops/layers/layernorm.h"
#include "ops/layers/linear.h"
#include "ops/layers/relu.h"
#include "ops/layers/spatial_batchnorm.h"
#include "ops/losses/l2_penalty.h"
#include "ops/losses/softmax_loss.h"
#include "ops/losses/svm_loss.h"
#include "ops/math/add.h"
#include "ops/math/mul.h"
#include "ops/reduce/sum.h"
#include "ops/reference/conv2d_naive.h"
#include "ops/reference/max_pool2d_naive.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"
#include "solver/solver.h"

using namespace tg;

namespace {

struct BadInput {
  std::string what;      // the case, for failure messages
  std::string prefix;    // the message must start with this (the op or option)
  std::string mentions;  // and contain this (what was given)
  std::function<void()> call;
};

Tensor zeros(const Shape& s, DType dtype = DType::f32) { return Tensor::zeros(s, dtype); }

// Calls a tape op on constants of one tape.
template <class F>
std::function<void()> on_tape(F f) {
  return [f] {
    Tape tape;
    f(tape);
  };
}

std::vector<BadInput> op_cases() {
  const Tensor x4 = zeros({2, 3, 8, 8}), w3 = zeros({4, 3, 3, 3}), b4 = zeros({4});
  const Tensor x2 = zeros({2, 5}), w = zeros({5, 3}), b3 = zeros({3});
  BatchNormState bn;
  Rng rng(0);
  std::vector<BadInput> cases = {
      // linear
      {"linear: x of rank 1", "linear: ", "(5)", [=] { linear_forward(zeros({5}), w, b3); }},
      {"linear: features differ", "linear: ", "(2,4)",
       [=] {
         linear_forward(zeros({2, 4}), w, b3);
       }},
      {"linear: w of rank 3", "linear: ", "(5,3,1)",
       [=] {
         linear_forward(x2, zeros({5, 3, 1}), b3);
       }},
      {"linear: b too long", "linear: ", "(4)", [=] { linear_forward(x2, w, zeros({4})); }},
      {"linear: zero-size batch", "linear: ", "(0,5)",
       [=] {
         linear_forward(zeros({0, 5}), w, b3);
       }},
      {"linear: zero outputs", "linear: ", "(5,0)",
       [=] {
         linear_forward(x2, zeros({5, 0}), zeros({0}));
       }},
      {"linear: dtypes differ", "linear: ", "float64",
       [=] {
         linear_forward(x2, zeros({5, 3}, DType::f64), b3);
       }},
      {"linear: undefined x", "linear: ", "undefined", [=] { linear_forward(Tensor(), w, b3); }},
      {"linear backward: dout shape", "linear backward: ", "(2,4)",
       [=] {
         linear_backward(zeros({2, 4}), linear_forward(x2, w, b3).cache);
       }},
      // relu, add, mul, sum
      {"relu: zero-size", "relu: ", "(2,0)",
       [=] {
         relu_forward(zeros({2, 0}));
       }},
      {"relu backward: dout shape", "relu backward: ", "(3)",
       [=] { relu_backward(zeros({3}), relu_forward(zeros({2})).cache); }},
      {"add: shapes differ", "add: ", "(3,2)",
       [=] {
         add_forward(zeros({2, 3}), zeros({3, 2}));
       }},
      {"add: dtypes differ", "add: ", "float64",
       [=] { add_forward(zeros({2}), zeros({2}, DType::f64)); }},
      {"mul: shapes differ", "mul: ", "(2)", [=] { mul_forward(zeros({3}), zeros({2})); }},
      {"mul: zero-size", "mul: ", "(0)", [=] { mul_forward(zeros({0}), zeros({0})); }},
      {"sum: zero-size", "sum: ", "(0,3)",
       [=] {
         sum_forward(zeros({0, 3}));
       }},
      // losses
      {"softmax_loss: label too large", "softmax_loss: ", "outside [0, 5)",
       [=] {
         softmax_loss_kernel(x2, {0, 5});
       }},
      {"softmax_loss: negative label", "softmax_loss: ", "-1",
       [=] {
         softmax_loss_kernel(x2, {-1, 0});
       }},
      {"softmax_loss: too few labels", "softmax_loss: ", "got 1",
       [=] { softmax_loss_kernel(x2, {0}); }},
      {"softmax_loss: scores of rank 3", "softmax_loss: ", "(2,5,1)",
       [=] {
         softmax_loss_kernel(zeros({2, 5, 1}), {0, 1});
       }},
      {"svm_loss: label too large", "svm_loss: ", "outside [0, 5)",
       [=] {
         svm_loss_kernel(x2, {7, 0});
       }},
      {"svm_loss: too many labels", "svm_loss: ", "got 3",
       [=] {
         svm_loss_kernel(x2, {0, 1, 2});
       }},
      {"svm_loss: zero classes", "svm_loss: ", "(2,0)",
       [=] {
         svm_loss_kernel(zeros({2, 0}), {0, 0});
       }},
      // conv2d
      {"conv2d: channels differ", "conv2d: ", "4 channels but weight expects 3",
       [=] {
         conv2d_forward(zeros({2, 4, 8, 8}), w3, b4, {1, 1});
       }},
      {"conv2d: x of rank 3", "conv2d: ", "(3,8,8)",
       [=] {
         conv2d_forward(zeros({3, 8, 8}), w3, b4, {1, 1});
       }},
      {"conv2d: w of rank 2", "conv2d: ", "(4,27)",
       [=] {
         conv2d_forward(x4, zeros({4, 27}), b4, {1, 1});
       }},
      {"conv2d: zero stride", "conv2d: ", "got 0",
       [=] {
         conv2d_forward(x4, w3, b4, {0, 1});
       }},
      {"conv2d: negative stride", "conv2d: ", "got -2",
       [=] {
         conv2d_forward(x4, w3, b4, {-2, 1});
       }},
      {"conv2d: negative pad", "conv2d: ", "got -1",
       [=] {
         conv2d_forward(x4, w3, b4, {1, -1});
       }},
      {"conv2d: windows do not tile", "conv2d: ", "stride 2",
       [=] {
         conv2d_forward(x4, w3, b4, {2, 0});
       }},
      {"conv2d: filter larger than input", "conv2d: ", "larger than the padded input",
       [=] {
         conv2d_forward(zeros({1, 3, 2, 2}), w3, b4, {1, 0});
       }},
      {"conv2d: bias length", "conv2d: ", "(5)",
       [=] {
         conv2d_forward(x4, w3, zeros({5}), {1, 1});
       }},
      {"conv2d: zero-size image", "conv2d: ", "(2,3,0,8)",
       [=] {
         conv2d_forward(zeros({2, 3, 0, 8}), w3, b4, {1, 1});
       }},
      {"conv2d: zero filters", "conv2d: ", "(0,3,3,3)",
       [=] {
         conv2d_forward(x4, zeros({0, 3, 3, 3}), zeros({0}), {1, 1});
       }},
      {"conv2d: dtypes differ", "conv2d: ", "float64",
       [=] {
         conv2d_forward(x4, zeros({4, 3, 3, 3}, DType::f64), b4, {1, 1});
       }},
      {"conv2d backward: dout shape", "conv2d backward: ", "(2,4,7,7)",
       [=] {
         conv2d_backward(zeros({2, 4, 7, 7}), conv2d_forward(x4, w3, b4, {1, 1}).cache);
       }},
      {"conv2d_naive: channels differ", "conv2d_naive: ", "weight expects 3",
       [=] {
         conv2d_forward_naive(zeros({2, 4, 8, 8}), w3, b4, {1, 1});
       }},
      // pooling
      {"max_pool2d: rank 3", "max_pool2d: ", "(3,8,8)",
       [=] {
         max_pool2d_forward(zeros({3, 8, 8}), {2, 2, 2});
       }},
      {"max_pool2d: zero stride", "max_pool2d: ", "got 0",
       [=] {
         max_pool2d_forward(x4, {2, 2, 0});
       }},
      {"max_pool2d: zero window", "max_pool2d: ", "0x2",
       [=] {
         max_pool2d_forward(x4, {0, 2, 2});
       }},
      {"max_pool2d: window larger than input", "max_pool2d: ", "9x9",
       [=] {
         max_pool2d_forward(x4, {9, 9, 1});
       }},
      {"max_pool2d: windows do not tile", "max_pool2d: ", "stride 2",
       [=] {
         max_pool2d_forward(x4, {3, 3, 2});
       }},
      {"max_pool2d: zero-size", "max_pool2d: ", "(0,3,8,8)",
       [=] {
         max_pool2d_forward(zeros({0, 3, 8, 8}), {2, 2, 2});
       }},
      {"max_pool2d backward: dout shape", "max_pool2d backward: ", "(2,3,3,3)",
       [=] {
         max_pool2d_backward(zeros({2, 3, 3, 3}), max_pool2d_forward(x4, {2, 2, 2}).cache);
       }},
      {"max_pool2d_naive: window larger", "max_pool2d_naive: ", "9x9",
       [=] {
         max_pool2d_forward_naive(x4, {9, 9, 1});
       }},
      {"avg_pool2d: negative stride", "avg_pool2d: ", "got -1",
       [=] {
         avg_pool2d_forward(x4, {2, 2, -1});
       }},
      {"avg_pool2d: rank 2", "avg_pool2d: ", "(8,8)",
       [=] {
         avg_pool2d_forward(zeros({8, 8}), {2, 2, 2});
       }},
      // normalization
      {"batchnorm: rank 4", "batchnorm: ", "(2,3,8,8)",
       [=]() mutable { batchnorm_forward(x4, zeros({3}), zeros({3}), bn); }},
      {"batchnorm: gamma length", "batchnorm: ", "(4)",
       [=]() mutable { batchnorm_forward(x2, zeros({4}), zeros({5}), bn); }},
      {"batchnorm: zero-size", "batchnorm: ", "(0,5)",
       [=]() mutable {
         batchnorm_forward(zeros({0, 5}), zeros({5}), zeros({5}), bn);
       }},
      {"batchnorm: momentum above 1", "batchnorm: ", "got 2",
       [=] {
         BatchNormState s;
         s.momentum = 2;
         batchnorm_forward(x2, zeros({5}), zeros({5}), s);
       }},
      {"batchnorm: negative eps", "batchnorm: ", "got -1",
       [=] {
         BatchNormState s;
         s.eps = -1;
         batchnorm_forward(x2, zeros({5}), zeros({5}), s);
       }},
      {"batchnorm: running_var of another length", "batchnorm: ", "(4)",
       [=] {
         BatchNormState s;
         s.running_var = zeros({4});
         batchnorm_forward(x2, zeros({5}), zeros({5}), s);
       }},
      {"batchnorm: one example when training",
       "batchnorm: ", "expected more than 1 value per channel when training, got x (1,5)",
       [=]() mutable {
         batchnorm_forward(zeros({1, 5}), zeros({5}), zeros({5}), bn);
       }},
      {"spatial_batchnorm: one value per channel when training", "spatial_batchnorm: ",
       "expected more than 1 value per channel when training, got x (1,3,1,1)",
       [=]() mutable {
         spatial_batchnorm_forward(zeros({1, 3, 1, 1}), zeros({3}), zeros({3}), bn);
       }},
      {"spatial_batchnorm: rank 2", "spatial_batchnorm: ", "(2,5)",
       [=]() mutable { spatial_batchnorm_forward(x2, zeros({5}), zeros({5}), bn); }},
      {"spatial_batchnorm: beta length", "spatial_batchnorm: ", "(2)",
       [=]() mutable { spatial_batchnorm_forward(x4, zeros({3}), zeros({2}), bn); }},
      {"spatial_batchnorm: dtypes differ", "spatial_batchnorm: ", "float64",
       [=]() mutable { spatial_batchnorm_forward(x4, zeros({3}, DType::f64), zeros({3}), bn); }},
      {"spatial_batchnorm backward: dout shape", "spatial_batchnorm backward: ", "(2,3,4,4)",
       [=]() mutable {
         spatial_batchnorm_backward(
             zeros({2, 3, 4, 4}), spatial_batchnorm_forward(x4, zeros({3}), zeros({3}), bn).cache);
       }},
      {"layernorm: rank 4", "layernorm: ", "(2,3,8,8)",
       [=] { layernorm_forward(x4, zeros({3}), zeros({3})); }},
      {"layernorm: gamma length", "layernorm: ", "(3)",
       [=] { layernorm_forward(x2, zeros({3}), zeros({5})); }},
      {"layernorm: zero eps", "layernorm: ", "got 0",
       [=] { layernorm_forward(x2, zeros({5}), zeros({5}), 0.0); }},
      {"spatial_groupnorm: groups do not divide", "spatial_groupnorm: ", "got 2",
       [=] {
         spatial_groupnorm_forward(x4, zeros({3}), zeros({3}), {2, 1e-5});
       }},
      {"spatial_groupnorm: zero groups", "spatial_groupnorm: ", "got 0",
       [=] {
         spatial_groupnorm_forward(x4, zeros({3}), zeros({3}), {0, 1e-5});
       }},
      {"spatial_groupnorm: rank 2", "spatial_groupnorm: ", "(2,5)",
       [=] {
         spatial_groupnorm_forward(x2, zeros({5}), zeros({5}), {1, 1e-5});
       }},
      // dropout
      {"dropout: keep_prob 0", "dropout: ", "got 0",
       [=]() mutable {
         dropout_forward(x2, {0.0, Mode::train}, rng);
       }},
      {"dropout: keep_prob above 1", "dropout: ", "got 1.5",
       [=]() mutable {
         dropout_forward(x2, {1.5, Mode::train}, rng);
       }},
      {"dropout: negative keep_prob", "dropout: ", "got -0.5",
       [=]() mutable {
         dropout_forward(x2, {-0.5, Mode::test}, rng);
       }},
      {"dropout: NaN keep_prob", "dropout: ", "got nan",
       [=]() mutable {
         dropout_forward(x2, {std::nan(""), Mode::train}, rng);
       }},
      {"dropout: zero-size", "dropout: ", "(0)",
       [=]() mutable {
         dropout_forward(zeros({0}), {0.5, Mode::train}, rng);
       }},
      // tape ops
      {"l2_penalty: negative reg", "l2_penalty: ", "got -1",
       on_tape([=](Tape& t) { l2_penalty(t.constant(x2), -1.0); })},
      {"l2_penalty: infinite reg", "l2_penalty: ", "got inf", on_tape([=](Tape& t) {
         l2_penalty(t.constant(x2), std::numeric_limits<double>::infinity());
       })},
      {"conv2d op: channels differ", "conv2d: ", "weight expects 3", on_tape([=](Tape& t) {
         conv2d(t.constant(zeros({1, 2, 5, 5})), t.constant(w3), t.constant(b4), {1, 1});
       })},
      {"softmax_loss op: label too large", "softmax_loss: ", "outside", on_tape([=](Tape& t) {
         softmax_loss(t.constant(x2), {9, 9});
       })},
  };
  return cases;
}

std::vector<BadInput> option_cases() {
  return {
      {"FullyConnectedNet: zero input_dim", "FullyConnectedNet: ", "got 0",
       [] {
         FullyConnectedNetOptions o;
         o.input_dim = 0;
         FullyConnectedNet n(o);
       }},
      {"FullyConnectedNet: one class", "FullyConnectedNet: ", "got 1",
       [] {
         FullyConnectedNetOptions o;
         o.num_classes = 1;
         FullyConnectedNet n(o);
       }},
      {"FullyConnectedNet: keep_prob above 1", "FullyConnectedNet: ", "got 2",
       [] {
         FullyConnectedNetOptions o;
         o.keep_prob = 2;
         FullyConnectedNet n(o);
       }},
      {"FullyConnectedNet: zero weight_scale", "FullyConnectedNet: ", "got 0",
       [] {
         FullyConnectedNetOptions o;
         o.init.weight_scale = 0;
         FullyConnectedNet n(o);
       }},
      {"FullyConnectedNet: negative reg", "FullyConnectedNet: ", "got -0.1",
       [] {
         FullyConnectedNetOptions o;
         o.reg = -0.1;
         FullyConnectedNet n(o);
       }},
      {"FullyConnectedNet: wrong input", "FullyConnectedNet: ", "(2,7)",
       [] {
         FullyConnectedNetOptions o;
         o.input_dim = 6;
         FullyConnectedNet n(o);
         n.scores(zeros({2, 7}));
       }},
      {"ThreeLayerConvNet: even filter", "ThreeLayerConvNet: ", "got 4",
       [] {
         ThreeLayerConvNetOptions o;
         o.filter_size = 4;
         ThreeLayerConvNet n(o);
       }},
      {"ThreeLayerConvNet: zero filters", "ThreeLayerConvNet: ", "got 0",
       [] {
         ThreeLayerConvNetOptions o;
         o.num_filters = 0;
         ThreeLayerConvNet n(o);
       }},
      {"ThreeLayerConvNet: odd height", "ThreeLayerConvNet: ", "27x28",
       [] {
         ThreeLayerConvNetOptions o;
         o.input_dim = {1, 27, 28};
         ThreeLayerConvNet n(o);
       }},
      {"ThreeLayerConvNet: wrong images", "ThreeLayerConvNet: ", "(2,1,28,28)",
       [] {
         ThreeLayerConvNet n(ThreeLayerConvNetOptions{});
         n.scores(zeros({2, 1, 28, 28}));
       }},
      {"optimizer: unknown rule", "update_rule: ", "'adagrad'", [] { make_optimizer("adagrad"); }},
      {"optimizer: zero learning rate", "sgd: ", "got 0",
       [] {
         OptimConfig c;
         c.learning_rate = 0;
         make_optimizer("sgd", c);
       }},
      {"optimizer: NaN learning rate", "adam: ", "got nan",
       [] {
         OptimConfig c;
         c.learning_rate = std::nan("");
         make_optimizer("adam", c);
       }},
      {"optimizer: momentum 1", "sgd_momentum: ", "got 1",
       [] {
         OptimConfig c;
         c.momentum = 1;
         make_optimizer("sgd_momentum", c);
       }},
      {"optimizer: decay_rate negative", "rmsprop: ", "got -0.5",
       [] {
         OptimConfig c;
         c.decay_rate = -0.5;
         make_optimizer("rmsprop", c);
       }},
      {"optimizer: beta1 above 1", "adam: ", "got 1.5",
       [] {
         OptimConfig c;
         c.beta1 = 1.5;
         make_optimizer("adam", c);
       }},
      {"optimizer: zero epsilon", "adam: ", "got 0",
       [] {
         OptimConfig c;
         c.epsilon = 0;
         make_optimizer("adam", c);
       }},
      {"schedule: unknown kind", "lr_schedule: ", "'linear'",
       [] { parse_schedule_kind("linear"); }},
      {"schedule: negative min_lr", "min_lr: ", "got -1",
       [] {
         ScheduleOptions s;
         s.kind = LrSchedule::Kind::cosine;
         s.min_lr = -1;
         make_schedule(s, {1e-3, 10, 100});
       }},
  };
}

std::vector<BadInput> solver_cases() {
  const auto with = [](std::function<void(SolverOptions&)> change) {
    return [change] {
      FullyConnectedNetOptions o;
      o.input_dim = 4;
      FullyConnectedNet net(o);
      SolverOptions options;
      change(options);
      Solver solver(net, {zeros({10, 4}), Labels(10, 0), zeros({5, 4}), Labels(5, 0)}, options);
    };
  };
  return {
      {"Solver: zero batch_size", "Solver: batch_size: ", "got 0",
       with([](SolverOptions& o) { o.batch_size = 0; })},
      {"Solver: negative num_epochs", "Solver: num_epochs: ", "got -1",
       with([](SolverOptions& o) { o.num_epochs = -1; })},
      {"Solver: zero print_every", "Solver: print_every: ", "got 0",
       with([](SolverOptions& o) { o.print_every = 0; })},
      {"Solver: negative num_train_samples", "Solver: num_train_samples: ", "got -5",
       with([](SolverOptions& o) { o.num_train_samples = -5; })},
      {"Solver: negative num_val_samples", "Solver: num_val_samples: ", "got -1",
       with([](SolverOptions& o) { o.num_val_samples = -1; })},
      {"Solver: zero eval_batch_size", "Solver: eval_batch_size: ", "got 0",
       with([](SolverOptions& o) { o.eval_batch_size = 0; })},
      {"Solver: negative checkpoint_every", "Solver: checkpoint_every: ", "got -3",
       with([](SolverOptions& o) { o.checkpoint_every = -3; })},
      {"Solver: lr_decay above 1", "lr_decay: ", "got 1.5",
       with([](SolverOptions& o) { o.schedule.lr_decay = 1.5; })},
      {"Solver: warmup_steps past the run",
       "warmup_steps: ", "10 must be fewer than the run's 10 steps",
       with([](SolverOptions& o) { o.schedule.warmup_steps = 10; })},
      {"Solver: unknown update rule", "update_rule: ", "'nesterov'",
       with([](SolverOptions& o) { o.update_rule = "nesterov"; })},
      {"Solver: labels and images differ", "Solver: training data: ", "10 images but 9 labels",
       [] {
         FullyConnectedNetOptions o;
         o.input_dim = 4;
         FullyConnectedNet net(o);
         Solver s(net, {zeros({10, 4}), Labels(9, 0), zeros({5, 4}), Labels(5, 0)}, {});
       }},
      {"Solver: empty validation set", "Solver: validation data: ", "(0,4)",
       [] {
         FullyConnectedNetOptions o;
         o.input_dim = 4;
         FullyConnectedNet net(o);
         Solver s(net, {zeros({10, 4}), Labels(10, 0), zeros({0, 4}), Labels()}, {});
       }},
  };
}

// Model files: the bytes of small ones, and the cases built from them.
std::string fc_model_bytes() {
  FullyConnectedNetOptions o;
  o.hidden_dims = {4};
  o.input_dim = 6;
  o.normalization = Normalization::batchnorm;
  return model_file_bytes(FullyConnectedNet(o));
}

ThreeLayerConvNetOptions small_cnn(std::int64_t filters) {
  ThreeLayerConvNetOptions o;
  o.input_dim = {1, 4, 4};
  o.filter_size = 3;
  o.num_filters = filters;
  return o;
}

std::vector<BadInput> model_file_argument_cases() {
  return {
      {"save_model: zero scale", "save_model: ", "got 0",
       [] {
         InputSpec input;
         input.scale = 0;
         model_file_bytes(ThreeLayerConvNet(small_cnn(2)), input);
       }},
      {"save_model: mean image of rank 1", "save_model: ", "float32 (4)",
       [] {
         InputSpec input;
         input.mean_image = zeros({4});
         model_file_bytes(ThreeLayerConvNet(small_cnn(2)), input);
       }},
      {"register_module_type: no name", "register_module_type: ", "empty",
       [] { register_module_type("", [](const ModelConfig&) { return nullptr; }); }},
      {"ModelConfig: missing key", "config: ", "'filters' is missing",
       [] { ModelConfig().get_int("filters"); }},
      {"normalize_images: mean image of another shape", "normalize_images: ", "(1,2,2)",
       [] {
         normalize_images(zeros({2, 1, 3, 3}), zeros({1, 2, 2}), 1);
       }},
      {"parse_png: two channels", "parse_png: ", "got 2",
       [] { parse_png("a.png", ByteSpan(), 2); }},
  };
}

// `text` with its first `from` replaced by `to` (which must be there).
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  if (at == std::string::npos) throw std::logic_error("no " + from + " in " + text);
  return text.replace(at, from.size(), to);
}

std::vector<BadInput> file_cases() {
  const std::string good = fc_model_bytes();
  std::string flipped = good;
  flipped[good.size() / 2] = static_cast<char>(flipped[good.size() / 2] ^ 0x10);
  std::string future = good;
  future[8] = 3;
  const auto bytes_of = [](const std::string& text) {
    return ByteSpan(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  };
  return {
      {"model file: empty", "empty.tgm: ", "0 bytes is too short for a model file",
       [] { parse_model("empty.tgm", ""); }},
      {"model file: truncated", "cut.tgm: byte 16: ", "the header promises",
       [=] { parse_model("cut.tgm", good.substr(0, good.size() - 9)); }},
      {"model file: a flipped bit", "flip.tgm: byte ", "checksum mismatch",
       [=] { parse_model("flip.tgm", flipped); }},
      {"model file: another format version",
       "future.tgm: byte 8: ", "model file format version 3, this build reads version 2",
       [=] { parse_model("future.tgm", future); }},
      {"model file: a checkpoint", "run.tgck: byte 0: ", "a tapegrad checkpoint, not a model file",
       [] { parse_model("run.tgck", Checkpoint().serialize()); }},
      {"model file: another model",
       "fc.tgm: ", "a model file of FullyConnectedNet, not of ThreeLayerConvNet",
       [=] {
         ThreeLayerConvNet net(small_cnn(2));
         parse_model_into(net, "fc.tgm", good);
       }},
      {"model file: another size",
       "wide.tgm: ", "different: conv1.weight (float32 (3,1,3,3) in the file",
       [] {
         ThreeLayerConvNet net(small_cnn(2));
         parse_model_into(net, "wide.tgm", model_file_bytes(ThreeLayerConvNet(small_cnn(3))));
       }},
      {"model file: a model nobody registered",
       "mine.tgm: ", "no factory for a module of type 'MyNet'",
       [=] {
         Checkpoint c = Checkpoint::parse("m", good, kModelFileKind);
         c.put_string("model/type", "MyNet");
         c.put_string("model/tree",
                      replaced(c.get_string("model/tree"), "\"type\":\"FullyConnectedNet\"",
                               "\"type\":\"MyNet\""));
         parse_model("mine.tgm", c.serialize(kModelFileKind));
       }},
      {"model file: a configuration out of range",
       "bad.tgm: ", "FullyConnectedNet: keep_prob must be in (0, 1], got 2",
       [=] {
         Checkpoint c = Checkpoint::parse("m", good, kModelFileKind);
         c.put_string("model/tree", replaced(c.get_string("model/tree"), "\"keep_prob\":1.0",
                                             "\"keep_prob\":2.0"));
         parse_model("bad.tgm", c.serialize(kModelFileKind));
       }},
      {"image: truncated PGM", "x.pgm: byte 13: ", "the data ends, but a 2x2 image needs 4 samples",
       [=] { parse_netpbm("x.pgm", bytes_of("P5 2 2 255\nab")); }},
      {"image: not a PNG", "x.png: ", "not a PNG image libpng can read",
       [=] { parse_png("x.png", bytes_of("\x89PNG\r\n\x1a\n and then nothing"), 1); }},
  };
}

void check_file_cases(const std::vector<BadInput>& cases) {
  for (const BadInput& c : cases) {
    CAPTURE(c.what);
    bool thrown = false;
    try {
      c.call();
    } catch (const FileError& e) {
      thrown = true;
      const std::string message = e.what();
      CAPTURE(message);
      CHECK(message.rfind(c.prefix, 0) == 0);
      CHECK(message.find(c.mentions) != std::string::npos);
    }
    CHECK(thrown);
  }
}

void check_cases(const std::vector<BadInput>& cases) {
  for (const BadInput& c : cases) {
    CAPTURE(c.what);
    bool thrown = false;
    try {
      c.call();
    } catch (const ArgumentError& e) {
      thrown = true;
      const std::string message = e.what();
      CAPTURE(message);
      CHECK(message.rfind(c.prefix, 0) == 0);
      CHECK(message.find(c.mentions) != std::string::npos);
    }
    CHECK(thrown);
  }
}

}  // namespace

TEST_CASE("Every public op rejects bad input with an ArgumentError naming it") {
  const std::vector<BadInput> cases = op_cases();
  MESSAGE(cases.size(), " op cases");
  check_cases(cases);
}

TEST_CASE("Model and optimizer options are validated") {
  const std::vector<BadInput> cases = option_cases();
  MESSAGE(cases.size(), " option cases");
  check_cases(cases);
}

TEST_CASE("Solver options and data are validated") {
  const std::vector<BadInput> cases = solver_cases();
  MESSAGE(cases.size(), " Solver cases");
  check_cases(cases);
}

TEST_CASE("Model files and images: bad arguments, and bad files named with the problem") {
  const std::vector<BadInput> arguments = model_file_argument_cases();
  const std::vector<BadInput> files = file_cases();
  MESSAGE(arguments.size(), " argument cases, ", files.size(), " file cases");
  check_cases(arguments);
  check_file_cases(files);
}
