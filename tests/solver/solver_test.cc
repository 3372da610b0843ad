// The Solver: training, histories, best parameters, run files, checkpoints,
// bit-for-bit resume and divergence.
#include "solver/solver.h"

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "graph/errors.h"
#include "graph/rng.h"
#include "io/checkpoint.h"
#include "io/npy.h"
#include "models/fully_connected_net.h"
#include "models/model_file.h"
#include "models/three_layer_convnet.h"
#include "report/history_csv.h"
#include "tests/support/test_folder.h"

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
  s.schedule.lr_decay = 0.5;
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
                           "checkpoint.tgck", "params/fc1.weight.npy", "params/fc2.bias.npy"}) {
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
  net.parameter("fc1.weight").value().fill_(std::numeric_limits<float>::max());
  CHECK_THROWS_WITH_AS(more.train(),
                       doctest::Contains("Solver: training diverged at iteration 11 (epoch 2.20)"),
                       NumericError);
  try {
    more.train();
  } catch (const NumericError& e) {
    const std::string message = e.what();
    CHECK(message.find("first parameter with a non-finite gradient: fc1.weight") !=
          std::string::npos);
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
      doctest::Contains("'param/fc1.weight' is float32 (36,32) but the model's is float32 (36,33)"),
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
  s.schedule.lr_decay = 0;
  CHECK_THROWS_WITH_AS(Solver(net, data, s), "lr_decay: must be in (0, 1], got 0", ArgumentError);
  SolverData bad = data;
  bad.y_val.pop_back();
  CHECK_THROWS_WITH_AS(Solver(net, bad, quiet(1)), "Solver: validation data: 5 images but 4 labels",
                       ArgumentError);
}

TEST_CASE("A finished run continued with more epochs is the longer run, bit for bit") {
  // The step schedule decays after every epoch: the continued run's first
  // step must take the decayed rate, as the longer run's does.
  const SolverData data = quadrant_data(100, 20, 12);
  FullyConnectedNetOptions o = small_fc();
  o.normalization = Normalization::batchnorm;
  SolverOptions s = quiet(3);
  s.schedule.lr_decay = 0.8;
  FullyConnectedNet whole(o);
  Solver longer(whole, data, s);
  longer.train();

  const std::string folder = tg::testing::fresh_test_folder("more_epochs");
  SolverOptions first = s;
  first.num_epochs = 1;
  first.checkpoint_dir = folder;
  FullyConnectedNet net(o);
  Solver(net, data, first).train();
  for (std::int64_t epochs : {2, 3}) {  // 1 -> 2 -> 3 epochs
    SolverOptions more = s;
    more.num_epochs = epochs;
    more.checkpoint_dir = folder;
    FullyConnectedNet continued(o);
    Solver solver(continued, data, more);
    solver.resume(folder + "/checkpoint.tgck");
    CHECK(solver.train() == TrainEnd::finished);
    if (epochs == 3) {
      CHECK(solver.loss_history() == longer.loss_history());
      CHECK(solver.history().iterations[5].lr == longer.history().iterations[5].lr);
      CHECK(solver.history().iterations[5].lr == doctest::Approx(1e-3 * 0.8));
      CHECK(values_of(continued) == values_of(whole));
    }
  }
}

TEST_CASE("Resuming with a setting other than the run's is refused, naming it and both values") {
  const std::string folder = tg::testing::fresh_test_folder("resume_settings");
  const SolverData data = quadrant_data(100, 20, 13);
  SolverOptions s = quiet(2);
  s.optim_config.learning_rate = 1e-3;
  s.checkpoint_dir = folder;
  {
    FullyConnectedNet net(small_fc());
    Solver(net, data, s).train();
  }
  const std::string path = folder + "/checkpoint.tgck";
  const auto refusal = [&](const SolverOptions& options, const SolverData& d) {
    FullyConnectedNet net(small_fc());
    Solver solver(net, d, options);
    return tg::testing::file_error_of([&] { solver.resume(path); });
  };
  struct Case {
    const char* expected;
    std::function<void(SolverOptions&)> change;
  };
  const std::vector<Case> cases = {
      {"the run used learning_rate 0.001, this one has 0.01",
       [](SolverOptions& o) { o.optim_config.learning_rate = 1e-2; }},
      {"the run used lr_decay 1.0, this one has 0.5",
       [](SolverOptions& o) { o.schedule.lr_decay = 0.5; }},
      {"the run used lr_schedule \"step\", this one has \"cosine\"",
       [](SolverOptions& o) { o.schedule.kind = LrSchedule::Kind::cosine; }},
      {"the run used seed 5, this one has 6", [](SolverOptions& o) { o.seed = 6; }},
      {"the run used optim_config", [](SolverOptions& o) { o.optim_config.beta1 = 0.8; }},
      {"the run used num_train_samples 1000, this one has 10",
       [](SolverOptions& o) { o.num_train_samples = 10; }},
      {"the run has num_epochs 2, this one 1", [](SolverOptions& o) { o.num_epochs = 1; }},
  };
  for (const Case& c : cases) {
    CAPTURE(c.expected);
    SolverOptions changed = s;
    c.change(changed);
    const std::string message = refusal(changed, data);
    CHECK(message.rfind(path + ": ", 0) == 0);
    CHECK(message.find(c.expected) != std::string::npos);
  }
  SolverData fewer_val = data;
  fewer_val.X_val = take_rows(data.X_val, {0, 1, 2});
  fewer_val.y_val.resize(3);
  CHECK(refusal(s, fewer_val).find("the run used num_val 20, this one has 3") != std::string::npos);
  FullyConnectedNetOptions regularised = small_fc();
  regularised.reg = 0.1;
  FullyConnectedNet reg_net(regularised);
  Solver reg_solver(reg_net, data, s);
  CHECK(tg::testing::file_error_of([&] {
          reg_solver.resume(path);
        }).find("the run used reg 0.0, this one has 0.1") != std::string::npos);
  // More epochs: fine with the step schedule, refused with the cosine one.
  SolverOptions more = s;
  more.num_epochs = 4;
  CHECK(refusal(more, data).empty());
  SolverOptions cosine = s;
  cosine.schedule.kind = LrSchedule::Kind::cosine;
  cosine.checkpoint_dir = tg::testing::fresh_test_folder("resume_cosine");
  {
    FullyConnectedNet net(small_fc());
    Solver(net, data, cosine).train();
  }
  cosine.num_epochs = 3;
  FullyConnectedNet cosine_net(small_fc());
  Solver cosine_solver(cosine_net, data, cosine);
  CHECK(tg::testing::file_error_of([&] {
          cosine_solver.resume(cosine.checkpoint_dir + "/checkpoint.tgck");
        }).find("the run's cosine schedule spans its num_epochs 2") != std::string::npos);
}

TEST_CASE("A checkpoint of the earlier format is refused with a clear message") {
  // tests/solver/golden/checkpoint_v1/checkpoint.tgck: written by tools/train before
  // the run's settings were recorded (--model fc --hidden-dims 3).
  FullyConnectedNetOptions o;
  o.hidden_dims = {3};
  o.input_dim = 784;
  o.normalization = Normalization::batchnorm;
  FullyConnectedNet net(o);
  const std::string path = "tests/solver/golden/checkpoint_v1/checkpoint.tgck";
  const Checkpoint old = Checkpoint::load(path);  // the container itself is unchanged
  CHECK(old.get_string("meta/model") == "FullyConnectedNet");
  const std::string message = tg::testing::file_error_of([&] { recorded_config(old); });
  CHECK(message ==
        path +
            ": a checkpoint of an earlier tapegrad (solver state version 1), which did not "
            "record the run's settings; this version continues runs of version 3 only: start "
            "the run again");
  SolverData data = quadrant_data(64, 16, 14);
  data.X_train = Tensor::zeros({64, 784});
  data.X_val = Tensor::zeros({16, 784});
  SolverOptions s = quiet(1);
  s.batch_size = 32;
  Solver solver(net, data, s);
  CHECK(tg::testing::file_error_of([&] { solver.resume(path); }) == message);
}

TEST_CASE("A failed checkpoint write leaves the history files at the last checkpoint") {
  const std::string folder = tg::testing::fresh_test_folder("failed_checkpoint");
  const SolverData data = quadrant_data(100, 20, 15);
  FullyConnectedNet net(small_fc());
  SolverOptions s = quiet(3);
  s.checkpoint_dir = folder;
  // At the end of epoch 2 the checkpoint's name is taken by a folder that is
  // not empty, so that writing it fails (as a full disk would).
  s.on_epoch = [&](const EpochRecord& record, bool) {
    if (record.epoch == 2) {
      std::filesystem::remove(folder + "/checkpoint.tgck");
      std::filesystem::create_directories(folder + "/checkpoint.tgck/taken");
    }
  };
  Solver solver(net, data, s);
  CHECK_THROWS_AS(solver.train(), FileError);
  CHECK(read_epochs_csv(folder + "/epochs.csv").size() == 1);
  CHECK(read_history_csv(folder + "/history.csv").size() == 5);
}

TEST_CASE("stop_requested ends train() with a checkpoint and run files; resuming goes on exactly") {
  const SolverData data = quadrant_data(100, 20, 16);
  FullyConnectedNetOptions o = small_fc();
  o.keep_prob = 0.8;
  FullyConnectedNet whole(o);
  Solver uninterrupted(whole, data, quiet(3));
  uninterrupted.train();

  const std::string folder = tg::testing::fresh_test_folder("stop_requested");
  SolverOptions stopping = quiet(3);
  stopping.checkpoint_dir = folder;
  std::int64_t steps = 0;
  stopping.on_step = [&](const StepInfo&) { ++steps; };
  stopping.stop_requested = [&] { return steps == 7; };  // mid epoch 2
  FullyConnectedNet first(o);
  Solver stopped(first, data, stopping);
  CHECK(stopped.train() == TrainEnd::stopped);
  CHECK(stopped.iteration() == 7);
  CHECK(Checkpoint::load(folder + "/checkpoint.tgck").get_int("solver/iteration") == 7);
  CHECK(read_history_csv(folder + "/history.csv").size() == 7);
  CHECK(read_epochs_csv(folder + "/epochs.csv").size() == 1);

  SolverOptions rest = quiet(3);
  rest.checkpoint_dir = folder;
  FullyConnectedNet second(o);
  Solver resumed(second, data, rest);
  resumed.resume(folder + "/checkpoint.tgck");
  CHECK(resumed.train() == TrainEnd::finished);
  CHECK(values_of(second) == values_of(whole));
  CHECK(resumed.loss_history() == uninterrupted.loss_history());
}

TEST_CASE("The divergence guard stops a run whose loss explodes without turning NaN") {
  // sgd at lr 100 with batch norm: the loss grows to about 1e34 in 20 steps,
  // finite all the way.
  const SolverData data = quadrant_data(100, 20, 8);
  FullyConnectedNetOptions o = small_fc();
  o.normalization = Normalization::batchnorm;
  SolverOptions s = quiet(4);
  s.update_rule = "sgd";
  s.optim_config.learning_rate = 100;
  {
    SolverOptions unguarded = s;
    unguarded.divergence_factor = 0;
    FullyConnectedNet net(o);
    Solver solver(net, data, unguarded);
    CHECK(solver.train() == TrainEnd::finished);
    CHECK(solver.loss_history().back() > 1e30);
  }
  FullyConnectedNet net(o);
  Solver guarded(net, data, s);  // the default guard: 100 times the first loss
  CHECK(s.divergence_factor == 100);
  // The losses are printed to 6 digits; their last digit may differ between
  // CPUs (oneDNN's kernels round by instruction set), so it is read back.
  const std::string message = tg::testing::error_of<NumericError>([&] { guarded.train(); });
  const std::string before = "Solver: training diverged at iteration 3 (epoch 0.60): the loss ";
  const std::string after = " is more than 100 times the first iteration's loss ";
  const std::size_t start = message.find(before), middle = message.find(after);
  REQUIRE(start != std::string::npos);
  REQUIRE(middle != std::string::npos);
  const double loss = std::stod(message.substr(start + before.size()));
  const double first = std::stod(message.substr(middle + after.size()));
  CHECK(loss == doctest::Approx(12017.4).epsilon(1e-3));
  CHECK(first == doctest::Approx(1.40037).epsilon(1e-4));
  CHECK(loss > 100 * first);
  s.divergence_factor = 0.5;
  CHECK_THROWS_WITH_AS(Solver(net, data, s), doctest::Contains("divergence_factor"), ArgumentError);
}

TEST_CASE("An epoch count whose iterations overflow is refused") {
  const SolverData data = quadrant_data(100, 20, 17);
  FullyConnectedNet net(small_fc());
  SolverOptions s = quiet(1);
  s.num_epochs = 2635249153387078803;  // 5 iterations each: more than 2^63
  CHECK_THROWS_WITH_AS(Solver(net, data, s),
                       "Solver: num_epochs: 2635249153387078803 epochs of 5 iterations are more "
                       "iterations than 2^63 - 1",
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
  for (const char* file :
       {"model.tgm", "params/fc1.weight.npy", "params/bn1.gamma.npy", "params/bn1.running_mean.npy",
        "params/bn1.running_var.npy", "params/mean_image.npy", "params/model.json"}) {
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
