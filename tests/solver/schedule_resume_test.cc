// The Solver with per-step schedules: the history records every step's rate,
// a run stopped mid warm-up, mid cosine or after a plateau cut resumes to
// the uninterrupted run's bits, plateau's state goes through the checkpoint,
// and a resumed run keeps its schedule's settings.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "graph/errors.h"
#include "graph/rng.h"
#include "io/checkpoint.h"
#include "models/fully_connected_net.h"
#include "report/history_csv.h"
#include "report/json.h"
#include "solver/solver.h"
#include "tests/support/test_folder.h"

using namespace tg;

namespace {

// Random images (N, 12) with random labels of 4 classes: nothing to learn,
// so the validation accuracy wanders and the plateau schedule cuts.
SolverData noise_data(std::int64_t train, std::int64_t val) {
  Rng rng(21);
  SolverData data;
  data.X_train = Tensor::randn({train, 12}, rng);
  data.X_val = Tensor::randn({val, 12}, rng);
  for (Labels* labels : {&data.y_train, &data.y_val}) {
    labels->resize(static_cast<std::size_t>(labels == &data.y_train ? train : val));
    for (std::int32_t& label : *labels) label = static_cast<std::int32_t>(rng.below(4));
  }
  return data;
}

FullyConnectedNetOptions net_options() {
  FullyConnectedNetOptions o;
  o.hidden_dims = {16};
  o.input_dim = 12;
  o.num_classes = 4;
  o.keep_prob = 0.8;  // the model's generator must resume too
  o.seed = 4;
  return o;
}

// 50 training images in batches of 10: 5 steps an epoch, 30 in 6 epochs.
SolverOptions options_with(const ScheduleOptions& schedule) {
  SolverOptions o;
  o.update_rule = "adam";
  o.optim_config.learning_rate = 1e-2;
  o.schedule = schedule;
  o.num_epochs = 6;
  o.batch_size = 10;
  o.verbose = false;
  o.seed = 9;
  return o;
}

std::vector<std::vector<double>> values_of(const Module& model) {
  std::vector<std::vector<double>> values;
  for (const Parameter& p : model.parameters()) values.push_back(p.value().to_vector());
  return values;
}

std::vector<double> rates_of(const History& history) {
  std::vector<double> rates;
  for (const IterationRecord& r : history.iterations) rates.push_back(r.lr);
  return rates;
}

std::vector<double> losses_of(const History& history) {
  std::vector<double> losses;
  for (const IterationRecord& r : history.iterations) losses.push_back(r.loss);
  return losses;
}

std::vector<double> val_accs_of(const History& history) {
  std::vector<double> accs;
  for (const EpochRecord& r : history.epochs) accs.push_back(r.val_acc);
  return accs;
}

ScheduleOptions schedule(LrSchedule::Kind kind, std::int64_t warmup_steps) {
  ScheduleOptions s;
  s.kind = kind;
  s.warmup_steps = warmup_steps;
  s.lr_decay = 0.7;
  s.min_lr = 1e-4;
  s.plateau_patience = 1;
  return s;
}

struct Finished {
  History history;
  std::vector<std::vector<double>> parameters;
};

Finished uninterrupted(const ScheduleOptions& s) {
  FullyConnectedNet net(net_options());
  Solver solver(net, noise_data(50, 20), options_with(s));
  solver.train();
  return {solver.history(), values_of(net)};
}

// Stopped before step `stop_at` (a checkpoint then), resumed by a new Solver.
Finished stopped_and_resumed(const ScheduleOptions& s, std::int64_t stop_at,
                             const std::string& folder) {
  SolverOptions first = options_with(s);
  first.checkpoint_dir = folder;
  std::int64_t steps = 0;
  first.on_step = [&](const StepInfo&) { ++steps; };
  first.stop_requested = [&] { return steps == stop_at; };
  {
    FullyConnectedNet net(net_options());
    Solver solver(net, noise_data(50, 20), first);
    REQUIRE(solver.train() == TrainEnd::stopped);
    REQUIRE(solver.iteration() == stop_at);
  }
  SolverOptions rest = options_with(s);
  rest.checkpoint_dir = folder;
  FullyConnectedNet net(net_options());
  Solver solver(net, noise_data(50, 20), rest);
  solver.resume(folder + "/checkpoint.tgck");
  REQUIRE(solver.train() == TrainEnd::finished);
  return {solver.history(), values_of(net)};
}

// Every step's rate and loss, every epoch's validation accuracy and the
// parameters: the same bits.
void check_same_run(const Finished& resumed, const Finished& whole) {
  CHECK(rates_of(resumed.history) == rates_of(whole.history));
  CHECK(losses_of(resumed.history) == losses_of(whole.history));
  CHECK(val_accs_of(resumed.history) == val_accs_of(whole.history));
  CHECK(resumed.parameters == whole.parameters);
}

}  // namespace

TEST_CASE("The history records every step's rate: warm-up's ramp, then cosine's fall") {
  const std::string folder = tg::testing::fresh_test_folder("schedule_history");
  SolverOptions o = options_with(schedule(LrSchedule::Kind::cosine, 8));
  o.checkpoint_dir = folder;
  FullyConnectedNet net(net_options());
  Solver solver(net, noise_data(50, 20), o);
  solver.train();
  const std::vector<double> rates = rates_of(solver.history());
  REQUIRE(rates.size() == 30);
  const auto expected = make_schedule(o.schedule, {1e-2, 5, 30});
  for (std::int64_t s = 0; s < 30; ++s) {
    CAPTURE(s);
    CHECK(rates[s] == expected->learning_rate(s));
  }
  CHECK(rates[0] == 1e-2 * 1 / 8);  // lr (s + 1) / warmup
  CHECK(rates[7] == doctest::Approx(1e-2).epsilon(1e-15));
  CHECK(rates[8] == doctest::Approx(1e-2).epsilon(1e-15));  // cosine's start
  CHECK(rates[29] > 1e-4);
  CHECK(rates[29] < rates[28]);
  // history.csv's lr column is the same per-step rate, to the bit.
  const std::vector<IterationRecord> csv = read_history_csv(folder + "/history.csv");
  REQUIRE(csv.size() == 30);
  for (std::size_t s = 0; s < csv.size(); ++s) CHECK(csv[s].lr == rates[s]);
}

TEST_CASE("A run stopped and resumed ends with the uninterrupted run's bits, every schedule") {
  using K = LrSchedule::Kind;
  SUBCASE("warm-up then step, stopped mid warm-up") {
    const ScheduleOptions s = schedule(K::step, 8);
    const Finished whole = uninterrupted(s);
    CHECK(whole.history.iterations[2].lr == 1e-2 * 3 / 8);
    CHECK(whole.history.iterations[10].lr == 1e-2 * std::pow(0.7, 2.0));  // epoch 2
    const Finished resumed =
        stopped_and_resumed(s, 3, tg::testing::fresh_test_folder("resume_warmup"));
    check_same_run(resumed, whole);
  }
  SUBCASE("warm-up then cosine, stopped mid cosine") {
    const ScheduleOptions s = schedule(K::cosine, 4);
    const Finished whole = uninterrupted(s);
    const Finished resumed =
        stopped_and_resumed(s, 17, tg::testing::fresh_test_folder("resume_cosine_mid"));
    check_same_run(resumed, whole);
  }
  SUBCASE("plateau, stopped after a cut (mid epoch and at an epoch's end)") {
    const ScheduleOptions s = schedule(K::plateau, 0);
    const Finished whole = uninterrupted(s);
    const std::vector<double> rates = rates_of(whole.history);
    std::int64_t first_cut = 0;
    while (first_cut < 30 && rates[first_cut] == 1e-2) ++first_cut;
    REQUIRE(first_cut < 25);  // the noise gives an epoch without a better accuracy
    CHECK(first_cut % 5 == 0);
    CHECK(rates[first_cut] == 5e-3);  // the default factor, 0.5
    for (const std::int64_t stop_at : {first_cut, first_cut + 2}) {
      CAPTURE(stop_at);
      const Finished resumed =
          stopped_and_resumed(s, stop_at, tg::testing::fresh_test_folder("resume_plateau"));
      check_same_run(resumed, whole);
    }
  }
}

TEST_CASE("Plateau's state goes through the checkpoint; a bad one is refused naming it") {
  const std::string folder = tg::testing::fresh_test_folder("plateau_checkpoint");
  SolverOptions o = options_with(schedule(LrSchedule::Kind::plateau, 0));
  o.num_epochs = 4;
  o.checkpoint_dir = folder;
  FullyConnectedNet net(net_options());
  Solver solver(net, noise_data(50, 20), o);
  solver.train();
  const std::string path = folder + "/checkpoint.tgck";
  const Checkpoint saved = Checkpoint::load(path);
  CHECK(saved.get_real("schedule/best_val_acc") == solver.best_val_acc());
  CHECK(saved.get_real("schedule/lr") <= 1e-2);
  CHECK(saved.get_real("schedule/bad_epochs") == 0);  // patience 1: a bad epoch cuts and restarts

  FullyConnectedNet again(net_options());
  Solver loaded(again, noise_data(50, 20), o);
  loaded.load_checkpoint(saved);
  const Checkpoint round_trip = loaded.to_checkpoint();
  for (const char* name : {"schedule/lr", "schedule/best_val_acc", "schedule/bad_epochs"}) {
    CAPTURE(name);
    CHECK(round_trip.get_real(name) == saved.get_real(name));
  }

  Checkpoint tampered = Checkpoint::load(path);
  tampered.put_real("schedule/bad_epochs", 7);
  tampered.save(folder + "/tampered.tgck");
  FullyConnectedNet third(net_options());
  Solver refused(third, noise_data(50, 20), o);
  CHECK(
      tg::testing::file_error_of([&] { refused.resume(folder + "/tampered.tgck"); }) ==
      folder +
          "/tampered.tgck: plateau state: 'bad_epochs' must be a whole number from 0 to 0, got 7");
  CHECK(refused.iteration() == 0);  // left as it was
}

TEST_CASE("A resumed run keeps its schedule's settings; runs recorded before them had defaults") {
  const std::string folder = tg::testing::fresh_test_folder("schedule_settings");
  SolverOptions o = options_with(schedule(LrSchedule::Kind::step, 0));
  o.num_epochs = 1;
  o.checkpoint_dir = folder;
  {
    FullyConnectedNet net(net_options());
    Solver(net, noise_data(50, 20), o).train();
  }
  const std::string path = folder + "/checkpoint.tgck";
  const auto refusal = [&](const SolverOptions& options, const std::string& from) {
    FullyConnectedNet net(net_options());
    Solver solver(net, noise_data(50, 20), options);
    return tg::testing::file_error_of([&] { solver.resume(from); });
  };
  struct Case {
    const char* expected;
    void (*change)(ScheduleOptions&);
  };
  for (const Case& c : std::vector<Case>{
           {"the run used warmup_steps 0, this one has 3",
            [](ScheduleOptions& s) { s.warmup_steps = 3; }},
           {"the run used plateau_patience 1, this one has 2",
            [](ScheduleOptions& s) { s.plateau_patience = 2; }},
           {"the run used plateau_factor 0.5, this one has 0.25",
            [](ScheduleOptions& s) { s.plateau_factor = 0.25; }},
           {"the run used min_lr 0.0001, this one has 0.001",
            [](ScheduleOptions& s) { s.min_lr = 1e-3; }},
           {"the run used lr_schedule \"step\", this one has \"plateau\"",
            [](ScheduleOptions& s) { s.kind = LrSchedule::Kind::plateau; }},
       }) {
    CAPTURE(c.expected);
    SolverOptions changed = o;
    c.change(changed.schedule);
    CHECK(refusal(changed, path) ==
          path + ": " + c.expected + ": it would not continue the same run");
  }
  // A checkpoint of a run recorded before these settings existed: their
  // defaults (no warm-up, plateau factor 0.5 and patience 2).
  Checkpoint earlier = Checkpoint::load(path);
  Json config = Json::parse(earlier.get_string("meta/config"));
  for (const char* key : {"warmup_steps", "plateau_factor", "plateau_patience"}) config.erase(key);
  earlier.put_string("meta/config", json_text(config));
  const std::string earlier_path = folder + "/earlier.tgck";
  earlier.save(earlier_path);
  SolverOptions defaults = o;
  defaults.schedule.plateau_patience = ScheduleOptions{}.plateau_patience;
  CHECK(refusal(defaults, earlier_path).empty());
  SolverOptions warm = defaults;
  warm.schedule.warmup_steps = 2;
  CHECK(refusal(warm, earlier_path) ==
        earlier_path +
            ": the run used warmup_steps 0, this one has 2: it would not continue "
            "the same run");
}
