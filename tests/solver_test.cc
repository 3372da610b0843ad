// The Solver: training, histories, best parameters, run files, checkpoints,
// bit-for-bit resume and divergence.
#include "solver/solver.h"

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>

#include "graph/errors.h"
#include "graph/rng.h"
#include "io/checkpoint.h"
#include "io/npy.h"
#include "models/fully_connected_net.h"
#include "models/model_file.h"
#include "models/three_layer_convnet.h"
#include "report/history_csv.h"
#include "tests/test_folder.h"

using namespace tg;

namespace {

// Images (N, 1, 6, 6) whose label is the quadrant (of 4) with the largest
// sum, plus noise: learnable, but not trivially.
SolverData quadrant_data(std::int64_t train, std::int64_t val, std::uint64_t seed) {
  Rng rng(seed);
  const auto make = [&](std::int64_t n, Tensor& x, Labels& y) {
    x = Tensor::randn({n, 1, 6, 6}, rng);
    y.resize(n);
    for (std::int64_t i = 0; i < n; ++i) {
      double sums[4] = {0, 0, 0, 0};
      for (int r = 0; r < 6; ++r)
        for (int c = 0; c < 6; ++c) sums[(r / 3) * 2 + c / 3] += x.at<float>(i, 0, r, c);
      y[i] = static_cast<std::int32_t>(std::max_element(sums, sums + 4) - sums);
    }
  };
  SolverData data;
  make(train, data.X_train, data.y_train);
  make(val, data.X_val, data.y_val);
  return data;
}

FullyConnectedNetOptions small_fc() {
  FullyConnectedNetOptions o;
  o.hidden_dims = {32};
  o.input_dim = 36;
  o.num_classes = 4;
  o.init.weight_scale = 0.1;
  o.seed = 11;
  return o;
}

SolverOptions quiet(std::int64_t epochs) {
  SolverOptions o;
  o.update_rule = "adam";
  o.num_epochs = epochs;
  o.batch_size = 20;
  o.verbose = false;
  o.seed = 5;
  return o;
}

std::vector<std::vector<double>> values_of(const Module& model) {
  std::vector<std::vector<double>> values;
  for (const Parameter& p : model.parameters()) values.push_back(p.value().to_vector());
  return values;
}

}  // namespace

TEST_CASE("Overfitting 50 examples reaches 100% training accuracy") {
  SolverData data = quadrant_data(50, 20, 1);
  Rng rng(2);
  for (auto& label : data.y_train) label = static_cast<std::int32_t>(rng.below(4));  // memorise
  SUBCASE("FullyConnectedNet") {
    FullyConnectedNetOptions o = small_fc();
    o.hidden_dims = {100, 100};
    FullyConnectedNet net(o);
    SolverOptions s = quiet(40);
    s.batch_size = 25;
    s.optim_config.learning_rate = 5e-3;
    s.num_train_samples = 0;
    Solver solver(net, data, s);
    solver.train();
    CHECK(solver.train_acc_history().back() == 1.0);
  }
  SUBCASE("ThreeLayerConvNet") {
    ThreeLayerConvNetOptions o;
    o.input_dim = {1, 6, 6};
    o.num_filters = 8;
    o.filter_size = 3;
    o.hidden_dim = 50;
    o.num_classes = 4;
    o.init.weight_scale = 0.1;
    ThreeLayerConvNet net(o);
    SolverOptions s = quiet(40);
    s.batch_size = 25;
    s.optim_config.learning_rate = 5e-3;
    Solver solver(net, data, s);
    solver.train();
    CHECK(solver.train_acc_history().back() == 1.0);
  }
}

TEST_CASE("Histories, learning-rate decay, best parameters restored") {
  const SolverData data = quadrant_data(400, 100, 3);
  FullyConnectedNet net(small_fc());
  SolverOptions s = quiet(5);
  s.lr_decay = 0.5;
  s.optim_config.learning_rate = 1e-2;
  Solver solver(net, data, s);
  solver.train();
  CHECK(solver.iterations_per_epoch() == 20);
  CHECK(solver.loss_history().size() == 100);
  CHECK(solver.val_acc_history().size() == 5);
  CHECK(solver.history().iterations.front().lr == 1e-2);
  CHECK(solver.history().iterations[20].lr == 5e-3);  // decayed after epoch 1
  CHECK(solver.history().epochs[4].lr == doctest::Approx(1e-2 / 16));
  CHECK(solver.loss_history().back() < solver.loss_history().front());
  // The model ends with the best epoch's parameters.
  double best = 0;
  for (double acc : solver.val_acc_history()) best = std::max(best, acc);
  CHECK(solver.best_val_acc() == best);
  CHECK(solver.check_accuracy(data.X_val, data.y_val) == best);
  CHECK(best > 0.6);  // well above chance (0.25)
}

TEST_CASE("Two runs with one seed are identical, bit for bit") {
  const SolverData data = quadrant_data(100, 20, 4);
  FullyConnectedNetOptions o = small_fc();
  o.keep_prob = 0.8;  // dropout draws from the model's generator
  o.normalization = Normalization::batchnorm;
  FullyConnectedNet a(o), b(o);
  Solver sa(a, data, quiet(3)), sb(b, data, quiet(3));
  sa.train();
  sb.train();
  CHECK(values_of(a) == values_of(b));
  CHECK(sa.loss_history() == sb.loss_history());
}

TEST_CASE("A resumed run ends with exactly the parameters of an uninterrupted one") {
  const SolverData data = quadrant_data(100, 20, 6);
  FullyConnectedNetOptions o = small_fc();
  o.keep_prob = 0.8;
  o.normalization = Normalization::batchnorm;
  SUBCASE("from the end of an epoch") {
    FullyConnectedNet whole(o);
    Solver uninterrupted(whole, data, quiet(4));
    uninterrupted.train();

    const std::string folder = tg::testing::fresh_test_folder("resume_epoch");
    FullyConnectedNet first_half(o);
    SolverOptions half = quiet(2);
    half.checkpoint_dir = folder;
    Solver(first_half, data, half).train();

    FullyConnectedNet second(o);
    SolverOptions rest = quiet(4);
    rest.checkpoint_dir = folder;
    Solver resumed(second, data, rest);
    resumed.resume(folder + "/checkpoint.tgck");
    CHECK(resumed.iteration() == 10);
    resumed.train();
    CHECK(values_of(second) == values_of(whole));
    CHECK(resumed.loss_history() == uninterrupted.loss_history());
    CHECK(resumed.val_acc_history() == uninterrupted.val_acc_history());
    CHECK(values_of(second) == values_of(whole));
  }
  SUBCASE("from the middle of an epoch, after a crash") {
    FullyConnectedNet whole(o);
    Solver uninterrupted(whole, data, quiet(3));
    uninterrupted.train();

    const std::string folder = tg::testing::fresh_test_folder("resume_mid");
    SolverOptions crashing = quiet(3);
    crashing.checkpoint_dir = folder;
    crashing.checkpoint_every = 7;  // 5 iterations per epoch: a checkpoint at 5 and at 7
    crashing.on_step = [](const StepInfo& step) {
      if (step.iteration == 9) throw std::runtime_error("simulated crash");
    };
    FullyConnectedNet victim(o);
    Solver doomed(victim, data, crashing);
    CHECK_THROWS_WITH(doomed.train(), "simulated crash");

    FullyConnectedNet second(o);
    SolverOptions rest = quiet(3);
    rest.checkpoint_dir = folder;
    Solver resumed(second, data, rest);
    resumed.resume(folder + "/checkpoint.tgck");
    CHECK(resumed.iteration() == 7);
    resumed.train();
    CHECK(values_of(second) == values_of(whole));
    CHECK(resumed.loss_history() == uninterrupted.loss_history());
  }
}

TEST_CASE("A run folder gets the curves, the checkpoint and .npy parameters") {
  const std::string folder = tg::testing::fresh_test_folder("run_files") + "/run-1";
  const SolverData data = quadrant_data(100, 20, 7);
  FullyConnectedNet net(small_fc());
  SolverOptions s = quiet(2);
  s.checkpoint_dir = folder;  // created by train()
  s.extra_config["data"] = "quadrants";
  Solver solver(net, data, s);
  solver.train();
  for (const char* file : {"history.csv", "epochs.csv", "history.json", "curves.svg",
                           "checkpoint.tgck", "params/W1.npy", "params/b2.npy"}) {
    CAPTURE(file);
    CHECK(std::filesystem::exists(folder + "/" + file));
  }
  const auto iterations = read_history_csv(folder + "/history.csv");
  CHECK(iterations.size() == 10);
  CHECK(iterations.back().loss == solver.loss_history().back());
  CHECK(read_epochs_csv(folder + "/epochs.csv").size() == 2);
  const Checkpoint c = Checkpoint::load(folder + "/checkpoint.tgck");
  CHECK(c.get_string("meta/model") == "FullyConnectedNet");
  CHECK(c.get_int("solver/iteration") == 10);
}

TEST_CASE("A diverging run stops with the iteration and parameter named, files intact") {
  const std::string folder = tg::testing::fresh_test_folder("diverge");
  const SolverData data = quadrant_data(100, 20, 8);
  FullyConnectedNetOptions o = small_fc();
  FullyConnectedNet net(o);
  SolverOptions s = quiet(2);
  s.checkpoint_dir = folder;
  s.update_rule = "sgd";
  s.optim_config.learning_rate = 1.0;
  Solver solver(net, data, s);
  solver.train();  // two sane epochs: files and a checkpoint exist
  const std::string history_before = Checkpoint::load(folder + "/checkpoint.tgck").serialize();
  // Now poison the weights so that the next step overflows.
  s.num_epochs = 3;
  Solver more(net, data, s);
  more.resume(folder + "/checkpoint.tgck");
  net.parameter("W1").value().fill_(std::numeric_limits<float>::max());
  CHECK_THROWS_WITH_AS(more.train(),
                       doctest::Contains("Solver: training diverged at iteration 11 (epoch 2.20)"),
                       NumericError);
  try {
    more.train();
  } catch (const NumericError& e) {
    const std::string message = e.what();
    CHECK(message.find("first parameter with a non-finite gradient: W1") != std::string::npos);
    CHECK(message.find("checkpoint.tgck") != std::string::npos);
  }
  CHECK(Checkpoint::load(folder + "/checkpoint.tgck").serialize() == history_before);
  CHECK(read_history_csv(folder + "/history.csv").size() == 10);
}

TEST_CASE("Resuming another run's checkpoint is refused with the file named") {
  const std::string folder = tg::testing::fresh_test_folder("mismatch");
  const SolverData data = quadrant_data(100, 20, 9);
  FullyConnectedNet net(small_fc());
  SolverOptions s = quiet(1);
  s.checkpoint_dir = folder;
  Solver(net, data, s).train();
  const std::string path = folder + "/checkpoint.tgck";

  ThreeLayerConvNetOptions cnn;
  cnn.input_dim = {1, 6, 6};
  cnn.filter_size = 3;
  cnn.num_classes = 4;
  ThreeLayerConvNet other_model(cnn);
  Solver conv_solver(other_model, data, quiet(1));
  CHECK_THROWS_WITH_AS(
      conv_solver.resume(path),
      doctest::Contains(
          "a checkpoint of a FullyConnectedNet, but this model is a ThreeLayerConvNet"),
      FileError);
  FullyConnectedNetOptions wider = small_fc();
  wider.hidden_dims = {33};
  FullyConnectedNet wider_net(wider);
  Solver wider_solver(wider_net, data, quiet(1));
  CHECK_THROWS_WITH_AS(
      wider_solver.resume(path),
      doctest::Contains("'param/W1' is float32 (36,32) but the model's is float32 (36,33)"),
      FileError);
  FullyConnectedNet same(small_fc());
  SolverOptions other_batch = quiet(1);
  other_batch.batch_size = 10;
  Solver batch_solver(same, data, other_batch);
  CHECK_THROWS_WITH_AS(batch_solver.resume(path), doctest::Contains("the run used batch_size 20"),
                       FileError);
}

TEST_CASE("clip_grad_norm bounds each update: sgd moves the parameters by at most lr * max_norm") {
  const SolverData data = quadrant_data(40, 10, 12);
  for (const double max_norm : {1e-3, 0.0}) {
    FullyConnectedNet net(small_fc());
    const std::vector<std::vector<double>> before = values_of(net);
    SolverOptions s = quiet(1);
    s.update_rule = "sgd";
    s.optim_config.learning_rate = 1.0;
    s.batch_size = 40;  // one iteration
    s.clip_grad_norm = max_norm;
    Solver solver(net, data, s);
    solver.train();
    double moved = 0;  // the global L2 norm of the change
    const std::vector<std::vector<double>> after = values_of(net);
    for (std::size_t p = 0; p < after.size(); ++p) {
      for (std::size_t i = 0; i < after[p].size(); ++i) {
        moved += (after[p][i] - before[p][i]) * (after[p][i] - before[p][i]);
      }
    }
    CAPTURE(max_norm);
    if (max_norm > 0) {
      CHECK(std::sqrt(moved) <= 1.0 * max_norm * (1 + 1e-5));
      CHECK(std::sqrt(moved) > 0.5 * max_norm);
    } else {
      CHECK(std::sqrt(moved) > 1e-2);  // unclipped, the first step is large
    }
  }
  FullyConnectedNet net(small_fc());
  SolverOptions s = quiet(1);
  s.clip_grad_norm = -1;
  CHECK_THROWS_WITH_AS(Solver(net, data, s),
                       "Solver: clip_grad_norm: must be a finite number >= 0 (0: off), got -1",
                       ArgumentError);
}

TEST_CASE("Solver options are validated, naming the option") {
  const SolverData data = quadrant_data(10, 5, 10);
  FullyConnectedNet net(small_fc());
  SolverOptions s = quiet(1);
  s.batch_size = 0;
  CHECK_THROWS_WITH_AS(Solver(net, data, s), "Solver: batch_size: must be positive, got 0",
                       ArgumentError);
  s = quiet(1);
  s.update_rule = "adagrad";
  CHECK_THROWS_WITH_AS(Solver(net, data, s), doctest::Contains("unknown rule 'adagrad'"),
                       ArgumentError);
  s = quiet(1);
  s.lr_decay = 0;
  CHECK_THROWS_WITH_AS(Solver(net, data, s), "lr_decay: must be in (0, 1], got 0", ArgumentError);
  SolverData bad = data;
  bad.y_val.pop_back();
  CHECK_THROWS_WITH_AS(Solver(net, bad, quiet(1)), "Solver: validation data: 5 images but 4 labels",
                       ArgumentError);
}

TEST_CASE("A run folder gets model.tgm and a complete params/ of the best parameters") {
  const std::string folder = tg::testing::fresh_test_folder("run_model") + "/run";
  const SolverData data = quadrant_data(100, 20, 12);
  FullyConnectedNetOptions o = small_fc();
  o.normalization = Normalization::batchnorm;
  FullyConnectedNet net(o);
  SolverOptions s = quiet(2);
  s.checkpoint_dir = folder;
  s.model_input.data_set = "quadrants";
  s.model_input.mean_image = Tensor::full({1, 6, 6}, 0.5);
  s.model_input.scale = 2.0;
  Solver solver(net, data, s);
  solver.train();
  for (const char* file : {"model.tgm", "params/W1.npy", "params/gamma1.npy",
                           "params/bn1.running_mean.npy", "params/bn1.running_var.npy",
                           "params/mean_image.npy", "params/model.json"}) {
    CAPTURE(file);
    CHECK(std::filesystem::exists(folder + "/" + file));
  }
  // The best parameters, restored at the end, are what the files hold.
  const LoadedModel loaded = load_model(folder + "/model.tgm");
  CHECK(loaded.model->scores(data.X_val).to_vector() == net.scores(data.X_val).to_vector());
  CHECK(loaded.input.data_set == "quadrants");
  CHECK(loaded.input.scale == 2.0);
  CHECK(load_npy(folder + "/params/bn1.running_var.npy").to_vector() ==
        net.buffers()[1].tensor->to_vector());
  CHECK(load_npy(folder + "/params/mean_image.npy").to_vector() == std::vector<double>(36, 0.5));
}
