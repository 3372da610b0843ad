// FullyConnectedNet, ThreeLayerConvNet and a model written by a user.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "io/npy.h"
#include "models/fully_connected_net.h"
#include "models/three_layer_convnet.h"
#include "ops/layers/linear.h"
#include "ops/layers/relu.h"
#include "optim/update_rules.h"

using namespace tg;

namespace {

Labels random_labels(std::int64_t n, std::int64_t classes, Rng& rng) {
  Labels y(n);
  for (auto& label : y) label = static_cast<std::int32_t>(rng.below(classes));
  return y;
}

// Relative error of every parameter's analytic gradient against the numerical
// gradient of the model's loss, the seed's way (eval_numerical_gradient of
// lambda _: model.loss(X, y)).
std::vector<std::pair<std::string, double>> model_gradient_errors(Module& model, const Tensor& x,
                                                                  const Labels& y) {
  model.zero_grad();
  model.loss(x, y);
  std::vector<Tensor> analytic;
  for (const Parameter& p : model.parameters()) analytic.push_back(p.grad().clone());
  std::vector<std::pair<std::string, double>> errors;
  for (std::size_t i = 0; i < model.parameters().size(); ++i) {
    const Parameter p = model.parameters()[i];  // a handle: parameters() is a new list
    const Tensor numeric =
        eval_numerical_gradient([&](const Tensor&) { return model.loss(x, y); }, p.value());
    errors.emplace_back(p.name(), rel_error(analytic[i], numeric));
  }
  return errors;
}

double accuracy(Module& model, const Tensor& x, const Labels& y) {
  const Tensor scores = model.scores(x);
  int correct = 0;
  for (std::int64_t i = 0; i < scores.dim(0); ++i) {
    std::int64_t best = 0;
    for (std::int64_t j = 1; j < scores.dim(1); ++j) {
      if (scores.at<float>(i, j) > scores.at<float>(i, best)) best = j;
    }
    correct += best == y[i];
  }
  return static_cast<double>(correct) / static_cast<double>(y.size());
}

}  // namespace

TEST_CASE("Initial loss is about log(10) for small weights") {
  Rng rng(1);
  const Tensor x = Tensor::randn({20, 3, 8, 8}, rng);
  const Labels y = random_labels(20, 10, rng);
  FullyConnectedNetOptions fc;
  fc.input_dim = 3 * 8 * 8;
  fc.init.weight_scale = 1e-3;
  FullyConnectedNet net(fc);
  CHECK(net.loss(x, y) == doctest::Approx(std::log(10.0)).epsilon(1e-3));
  ThreeLayerConvNetOptions cnn;
  cnn.input_dim = {3, 8, 8};
  cnn.filter_size = 3;
  ThreeLayerConvNet conv(cnn);
  CHECK(conv.loss(x, y) == doctest::Approx(std::log(10.0)).epsilon(1e-3));
}

TEST_CASE("FullyConnectedNet: every parameter's gradient, with L2, norms and dropout") {
  Rng rng(2);
  // N = 5: with few examples batch norm is nearly degenerate (with two,
  // x_hat = +-1 whatever x is) and the gradients tiny.
  const Tensor x = Tensor::randn({5, 15}, rng, DType::f64);
  const Labels y = {3, 7, 1, 0, 9};
  struct Case {
    double reg;
    Normalization normalization;
    double keep_prob;
  };
  for (const Case& c :
       {Case{0.0, Normalization::none, 1.0}, Case{3.14, Normalization::none, 1.0},
        Case{0.7, Normalization::batchnorm, 1.0}, Case{0.7, Normalization::layernorm, 1.0},
        Case{0.5, Normalization::none, 0.75}, Case{0.5, Normalization::batchnorm, 0.75}}) {
    FullyConnectedNetOptions o;
    o.hidden_dims = {20, 30};
    o.input_dim = 15;
    o.num_classes = 10;
    o.reg = c.reg;
    o.normalization = c.normalization;
    o.keep_prob = c.keep_prob;
    o.init.weight_scale = 5e-2;
    o.dtype = DType::f64;
    o.seed = 3;
    o.dropout_seed = 123;
    FullyConnectedNet net(o);
    for (const auto& [name, error] : model_gradient_errors(net, x, y)) {
      CAPTURE(c.reg);
      CAPTURE(static_cast<int>(c.normalization));
      CAPTURE(c.keep_prob);
      CAPTURE(name);
      // A hidden bias right before batch norm is cancelled by it: its
      // gradient is exactly zero (checked below), not a relative error.
      if (c.normalization == Normalization::batchnorm &&
          (name == "fc1.bias" || name == "fc2.bias")) {
        continue;
      }
      CHECK(error < 1e-5);
    }
    if (c.normalization == Normalization::batchnorm) {
      net.zero_grad();
      net.loss(x, y);
      for (const char* bias : {"fc1.bias", "fc2.bias"}) {
        for (double g : net.parameter(bias).grad().to_vector()) CHECK(std::abs(g) < 1e-12);
      }
    }
  }
}

// The CS231n BatchNormalization notebook's check, on its own numbers
// (np.random.seed(231); X = randn(2, 15); y = randint(10, size=2); then the
// weights of FullyConnectedNet([20, 30], weight_scale=5e-2) for reg 0 and
// 3.14, saved by NumPy in tests/models/golden/cs231n_bn_fc/). The hidden biases
// are cancelled by batch norm: their true gradient is zero. NumPy's centred
// backward leaves |db| <= 3.1e-15 (reg 0) and 2.9e-16 (reg 3.14); the
// uncentred a * dout + b * x + c form left up to 7e-15 at reg 3.14, the
// centred form alone 8e-15 when compiled without FMA (the ASan build).
TEST_CASE("A bias feeding batch norm: zero gradient to rounding, on the notebook's N = 2 check") {
  const std::string folder = "tests/models/golden/cs231n_bn_fc/";
  const Tensor x = load_npy(folder + "X.npy");
  Labels y;
  for (double label : load_npy(folder + "y.npy").to_vector()) {
    y.push_back(static_cast<std::int32_t>(label));
  }
  for (const auto& [reg, name, bound] : {std::tuple{0.0, "0", 1e-14}, {3.14, "3.14", 1e-15}}) {
    FullyConnectedNetOptions o;
    o.hidden_dims = {20, 30};
    o.input_dim = 15;
    o.num_classes = 10;
    o.reg = reg;
    o.normalization = Normalization::batchnorm;
    o.dtype = DType::f64;
    FullyConnectedNet net(o);
    for (const char* k : {"1", "2", "3"}) {
      net.parameter(std::string("fc") + k + ".weight")
          .value()
          .copy_(load_npy(folder + "reg" + name + "_W" + k + ".npy"));
    }
    net.zero_grad();
    net.loss(x, y);
    for (const char* bias : {"fc1.bias", "fc2.bias"}) {
      CAPTURE(reg);
      CAPTURE(bias);
      double worst = 0;
      for (double g : net.parameter(bias).grad().to_vector()) worst = std::max(worst, std::abs(g));
      CHECK(worst <= bound);
    }
  }
}

TEST_CASE("ThreeLayerConvNet: every parameter's gradient, with and without spatial batch norm") {
  Rng rng(4);
  const Tensor x = Tensor::randn({2, 3, 8, 8}, rng, DType::f64);
  const Labels y = {1, 4};
  for (bool sbn : {false, true}) {
    ThreeLayerConvNetOptions o;
    o.input_dim = {3, 8, 8};
    o.num_filters = 3;
    o.filter_size = 3;
    o.hidden_dim = 7;
    o.reg = 0.5;
    o.init.weight_scale = 1e-1;
    o.dtype = DType::f64;
    o.spatial_batchnorm = sbn;
    o.seed = 5;
    ThreeLayerConvNet net(o);
    for (const auto& [name, error] : model_gradient_errors(net, x, y)) {
      CAPTURE(sbn);
      CAPTURE(name);
      if (sbn && name == "conv1.bias") continue;  // cancelled by batch norm: checked below
      CHECK(error < 1e-5);
    }
    if (sbn) {
      net.zero_grad();
      net.loss(x, y);
      for (double g : net.parameter("conv1.bias").grad().to_vector()) CHECK(std::abs(g) < 1e-12);
    }
  }
}

TEST_CASE("Parameters, buffers and names") {
  FullyConnectedNetOptions o;
  o.hidden_dims = {4, 5};
  o.input_dim = 6;
  o.normalization = Normalization::batchnorm;
  FullyConnectedNet net(o);
  std::vector<std::string> names;
  for (const Parameter& p : net.parameters()) names.push_back(p.name());
  CHECK(names == std::vector<std::string>{"fc1.weight", "fc1.bias", "bn1.gamma", "bn1.beta",
                                          "fc2.weight", "fc2.bias", "bn2.gamma", "bn2.beta",
                                          "fc3.weight", "fc3.bias"});
  CHECK(net.buffers().size() == 4);
  CHECK(net.buffers()[0].name == "bn1.running_mean");
  // Running statistics start at mean 0, variance 1 (ops/layers/spatial_batchnorm.h).
  ThreeLayerConvNetOptions c;
  c.input_dim = {1, 4, 4};
  c.filter_size = 3;
  c.spatial_batchnorm = true;
  ThreeLayerConvNet cnn(c);
  for (const Module* m : {static_cast<const Module*>(&net), static_cast<const Module*>(&cnn)}) {
    for (const NamedTensor& b : m->buffers()) {
      CAPTURE(b.name);
      const bool is_var = b.name.find("running_var") != std::string::npos;
      for (double v : b.tensor->to_vector()) CHECK(v == (is_var ? 1.0 : 0.0));
    }
  }
  CHECK(net.parameter("fc2.weight").value().shape() == Shape{4, 5});
  CHECK_THROWS_WITH_AS(net.parameter("W9"), "FullyConnectedNet: no parameter named 'W9'",
                       ArgumentError);
  CHECK(net.module("bn2").type() == "BatchNorm1d");
  CHECK(net.module("bn2").parameters().front().name() == "bn2.gamma");
}

TEST_CASE("Training mode updates running statistics; evaluation uses them") {
  Rng rng(6);
  FullyConnectedNetOptions o;
  o.hidden_dims = {8};
  o.input_dim = 4;
  o.normalization = Normalization::batchnorm;
  FullyConnectedNet net(o);
  const Tensor x = Tensor::randn({16, 4}, rng, DType::f32, 3.0, 2.0);
  const Tensor before = net.buffers()[0].tensor->clone();
  net.loss(x, random_labels(16, 10, rng));
  CHECK(net.buffers()[0].tensor->to_vector() != before.to_vector());
  net.eval();
  const Tensor saved = net.buffers()[0].tensor->clone();
  // In evaluation an example's scores do not depend on the rest of the batch.
  const Tensor batch_scores = net.scores(x);
  const Tensor single = net.scores(x.reshape({16, 4}).clone().reshape({16, 4}));
  CHECK(batch_scores.to_vector() == single.to_vector());
  const Tensor first = net.scores(Tensor::from_values(
      {1, 4}, {x.at<float>(0, 0), x.at<float>(0, 1), x.at<float>(0, 2), x.at<float>(0, 3)}));
  for (int j = 0; j < 10; ++j)
    CHECK(first.at<float>(0, j) == doctest::Approx(batch_scores.at<float>(0, j)));
  CHECK(net.buffers()[0].tensor->to_vector() == saved.to_vector());
}

TEST_CASE("scores() is the seed's loss(X): test mode for the call, the module's mode kept") {
  Rng rng(8);
  FullyConnectedNetOptions o;
  o.hidden_dims = {8, 8};
  o.input_dim = 4;
  o.normalization = Normalization::batchnorm;
  o.keep_prob = 0.5;
  FullyConnectedNet net(o);
  const Tensor x = Tensor::randn({16, 4}, rng, DType::f32, 3.0, 2.0);
  net.loss(x, random_labels(16, 10, rng));  // running statistics away from their start
  const Tensor running_mean = net.buffers()[0].tensor->clone();
  REQUIRE(net.mode() == Mode::train);

  const Tensor first = net.scores(x);
  const Tensor second = net.scores(x);
  // No dropout (it would draw new masks) and running statistics, which do not move.
  CHECK(first.to_vector() == second.to_vector());
  CHECK(net.buffers()[0].tensor->to_vector() == running_mean.to_vector());
  CHECK(net.mode() == Mode::train);
  // The same scores as in evaluation mode, which stays on.
  net.eval();
  CHECK(net.scores(x).to_vector() == first.to_vector());
  CHECK(net.mode() == Mode::test);
  // An error inside forward leaves the mode as it was too.
  net.train();
  CHECK_THROWS_AS(net.scores(Tensor::zeros({2, 5})), ArgumentError);
  CHECK(net.mode() == Mode::train);
}

namespace {

// A model of one's own, in a few lines.
class TwoLayerNet : public Module {
 public:
  TwoLayerNet(std::int64_t inputs, std::int64_t hidden, std::int64_t classes) {
    Rng rng(0);
    w1_ = register_parameter("W1", Tensor::randn({inputs, hidden}, rng, DType::f32, 0, 0.1), true);
    b1_ = register_parameter("b1", Tensor::zeros({hidden}));
    w2_ = register_parameter("W2", Tensor::randn({hidden, classes}, rng, DType::f32, 0, 0.1), true);
    b2_ = register_parameter("b2", Tensor::zeros({classes}));
  }
  Var forward(const Var& x) override { return linear(relu(linear(x, w1_, b1_)), w2_, b2_); }
  std::string type() const override { return "TwoLayerNet"; }

 private:
  Parameter w1_, b1_, w2_, b2_;
};

}  // namespace

TEST_CASE("A model written in a few lines trains: it fits 50 examples") {
  Rng rng(7);
  const Tensor x = Tensor::randn({50, 20}, rng);
  const Labels y = random_labels(50, 5, rng);
  TwoLayerNet net(20, 64, 5);
  Adam adam(1e-2);
  const double first = net.loss(x, y);
  for (int step = 0; step < 300; ++step) {
    net.zero_grad();
    net.loss(x, y);
    adam.step(net.parameters());
  }
  net.zero_grad();
  CHECK(net.loss(x, y) < 0.1 * first);
  CHECK(accuracy(net, x, y) == 1.0);
}

TEST_CASE("Models reject bad options and inputs, naming themselves") {
  FullyConnectedNetOptions fc;
  fc.keep_prob = 0;
  CHECK_THROWS_WITH_AS(FullyConnectedNet{fc},
                       "FullyConnectedNet: keep_prob must be in (0, 1], got 0", ArgumentError);
  fc = {};
  fc.hidden_dims = {10, 0};
  CHECK_THROWS_WITH_AS(FullyConnectedNet{fc},
                       "FullyConnectedNet: hidden_dims[1] must be positive, got 0", ArgumentError);
  fc = {};
  fc.reg = -1;
  CHECK_THROWS_WITH_AS(FullyConnectedNet{fc},
                       "FullyConnectedNet: reg must be a finite number >= 0, got -1",
                       ArgumentError);
  ThreeLayerConvNetOptions cnn;
  cnn.filter_size = 4;
  CHECK_THROWS_WITH_AS(ThreeLayerConvNet{cnn},
                       doctest::Contains("ThreeLayerConvNet: filter_size must be odd"),
                       ArgumentError);
  cnn = {};
  cnn.input_dim = {1, 27, 28};
  CHECK_THROWS_WITH_AS(ThreeLayerConvNet{cnn},
                       doctest::Contains("ThreeLayerConvNet: the 2x2 pooling needs an even height"),
                       ArgumentError);
  ThreeLayerConvNet net(ThreeLayerConvNetOptions{});
  CHECK_THROWS_WITH_AS(net.scores(Tensor::zeros({2, 1, 28, 28})),
                       "ThreeLayerConvNet: expects images (N, 3, 32, 32), got shape (2,1,28,28)",
                       ArgumentError);
}

TEST_CASE("detect_anomaly names the first op that produced a non-finite value") {
  FullyConnectedNetOptions o;
  o.hidden_dims = {4};
  o.input_dim = 3;
  FullyConnectedNet net(o);
  Tensor x = Tensor::zeros({2, 3});
  x.at<float>(1, 2) = std::numeric_limits<float>::infinity();
  // Without detection the NaN only shows in the loss.
  CHECK(std::isnan(net.loss(x, {0, 1})));
  LossOptions detect;
  detect.detect_anomaly = true;
  CHECK_THROWS_WITH_AS(net.loss(x, {0, 1}, detect), doctest::Contains("op 'linear'"), NumericError);
  CHECK_THROWS_WITH_AS(net.scores(x, detect), doctest::Contains("op 'linear'"), NumericError);
}
