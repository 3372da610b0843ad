// optim/schedule.h: every schedule's rates against values worked out by
// hand, warm-up's first steps, cosine's end at min_lr, plateau's cuts and
// floor, its state saved and restored, and bad settings refused by name.
#include "optim/schedule.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "graph/errors.h"
#include "tests/support/test_folder.h"

using namespace tg;
using tg::testing::argument_error_of;

namespace {

ScheduleOptions of_kind(LrSchedule::Kind kind) {
  ScheduleOptions o;
  o.kind = kind;
  return o;
}

// The rates of steps `steps`.
std::vector<double> rates(const LrSchedule& schedule, const std::vector<std::int64_t>& steps) {
  std::vector<double> out;
  for (const std::int64_t s : steps) out.push_back(schedule.learning_rate(s));
  return out;
}

}  // namespace

TEST_CASE("constant: lr0 at every step, whatever the accuracy") {
  const auto schedule = make_schedule(of_kind(LrSchedule::Kind::constant), {0.1, 10, 100});
  schedule->on_epoch_end(0.5);
  schedule->on_epoch_end(0.1);
  CHECK(rates(*schedule, {0, 9, 10, 99, 1000}) == std::vector<double>{0.1, 0.1, 0.1, 0.1, 0.1});
  CHECK(schedule->state().empty());
}

TEST_CASE("step: lr0 * lr_decay^floor(s / steps_per_epoch)") {
  ScheduleOptions o = of_kind(LrSchedule::Kind::step);
  o.lr_decay = 0.5;
  const auto schedule = make_schedule(o, {1.0, 10, 100});
  // Epochs 0, 0, 1, 3 and 9: 1, 1, 1/2, 1/8, 1/512 (exact in binary).
  CHECK(rates(*schedule, {0, 9, 10, 35, 99}) ==
        std::vector<double>{1.0, 1.0, 0.5, 0.125, 1.0 / 512});
  // The seed Solver's expression, bit for bit: lr0 * pow(decay, floor(s / P)).
  o.lr_decay = 0.8;
  const auto seed = make_schedule(o, {1e-3, 859, 8590});
  for (const std::int64_t s : {0, 858, 859, 1717, 1718, 8589}) {
    CAPTURE(s);
    CHECK(seed->learning_rate(s) ==
          1e-3 * std::pow(0.8, std::floor(static_cast<double>(s) / 859.0)));
  }
}

TEST_CASE("cosine: from lr0 to min_lr over the run's steps, min_lr from its end on") {
  ScheduleOptions o = of_kind(LrSchedule::Kind::cosine);
  o.min_lr = 0.1;
  const auto schedule = make_schedule(o, {1.0, 10, 100});
  // 0.1 + 0.9 (1 + cos(pi s / 100)) / 2: s = 25: cos(pi/4) = 0.70710678...
  CHECK(schedule->learning_rate(0) == doctest::Approx(1.0).epsilon(1e-15));
  CHECK(schedule->learning_rate(25) == doctest::Approx(0.868198051533946).epsilon(1e-14));
  CHECK(schedule->learning_rate(50) == doctest::Approx(0.55).epsilon(1e-15));
  CHECK(schedule->learning_rate(75) == doctest::Approx(0.231801948466054).epsilon(1e-14));
  // The last step is just above min_lr; the run's end is min_lr itself.
  CHECK(schedule->learning_rate(99) > 0.1);
  CHECK(schedule->learning_rate(99) == doctest::Approx(0.1 + 0.45 * (1 - std::cos(M_PI / 100))));
  CHECK(schedule->learning_rate(100) == 0.1);
  CHECK(schedule->learning_rate(250) == 0.1);
}

TEST_CASE("warm-up: lr * (s + 1) / warmup for s < warmup, then the schedule's own") {
  SUBCASE("before cosine, which then starts from lr0 over the remaining steps") {
    ScheduleOptions o = of_kind(LrSchedule::Kind::cosine);
    o.warmup_steps = 10;
    const auto schedule = make_schedule(o, {1.0, 20, 110});
    // The first steps: 1/10, 2/10, 3/10 ... 10/10 of lr0.
    for (std::int64_t s = 0; s < 10; ++s) {
      CAPTURE(s);
      CHECK(schedule->learning_rate(s) == 1.0 * static_cast<double>(s + 1) / 10.0);
    }
    CHECK(schedule->learning_rate(0) == doctest::Approx(0.1));
    CHECK(schedule->learning_rate(4) == doctest::Approx(0.5));
    CHECK(schedule->learning_rate(9) == 1.0);
    // Then cos(pi (s - 10) / 100): 1 at s = 10, 1/2 at s = 60, 0 at s = 110.
    CHECK(schedule->learning_rate(10) == 1.0);
    CHECK(schedule->learning_rate(60) == doctest::Approx(0.5).epsilon(1e-15));
    CHECK(schedule->learning_rate(110) == 0.0);
  }
  SUBCASE("before step: the ramp goes to the epoch's rate") {
    ScheduleOptions o = of_kind(LrSchedule::Kind::step);
    o.lr_decay = 0.5;
    o.warmup_steps = 4;
    const auto schedule = make_schedule(o, {0.01, 10, 100});
    CHECK(rates(*schedule, {0, 1, 2, 3, 4, 9, 10}) ==
          std::vector<double>{0.01 * 1 / 4, 0.01 * 2 / 4, 0.01 * 3 / 4, 0.01, 0.01, 0.01, 0.005});
    o.warmup_steps = 20;  // longer than an epoch: step 12 is 13/20 of epoch 1's 0.005
    CHECK(make_schedule(o, {0.01, 10, 100})->learning_rate(12) == 0.005 * 13 / 20);
  }
  SUBCASE("before constant and plateau") {
    ScheduleOptions o = of_kind(LrSchedule::Kind::constant);
    o.warmup_steps = 2;
    CHECK(rates(*make_schedule(o, {0.2, 5, 50}), {0, 1, 2, 49}) ==
          std::vector<double>{0.1, 0.2, 0.2, 0.2});
    o.kind = LrSchedule::Kind::plateau;
    o.plateau_patience = 1;
    const auto plateau = make_schedule(o, {0.2, 5, 50});
    CHECK(plateau->learning_rate(0) == 0.1);
    plateau->on_epoch_end(0.5);
    plateau->on_epoch_end(0.5);  // no better: cut to 0.1
    CHECK(plateau->learning_rate(5) == 0.1);
    CHECK(plateau->state().at("lr") == 0.1);
  }
}

TEST_CASE("plateau: cut by plateau_factor after plateau_patience epochs without a new best") {
  ScheduleOptions o = of_kind(LrSchedule::Kind::plateau);
  o.plateau_factor = 0.5;
  o.plateau_patience = 2;
  o.min_lr = 0.2;
  const auto schedule = make_schedule(o, {1.0, 10, 1000});
  // The validation accuracies of epochs 1..11 and the rate after each.
  const std::vector<double> val_acc = {0.5, 0.6, 0.6, 0.55, 0.58, 0.7, 0.6, 0.6, 0.6, 0.6, 0.6};
  const std::vector<double> expected = {1.0,  1.0,  1.0,  // two new bests, one epoch without
                                        0.5,              // the 2nd without: cut
                                        0.5,  0.5,        // one without, then a new best 0.7
                                        0.5,  0.25,       // two without: cut
                                        0.25, 0.2,        // two more: 0.125, floored at min_lr
                                        0.2};
  CHECK(schedule->learning_rate(0) == 1.0);
  for (std::size_t e = 0; e < val_acc.size(); ++e) {
    CAPTURE(e + 1);
    schedule->on_epoch_end(val_acc[e]);
    CHECK(schedule->learning_rate(static_cast<std::int64_t>(e + 1) * 10) == expected[e]);
  }
  for (int e = 0; e < 3; ++e) schedule->on_epoch_end(0.1);  // a cut at min_lr keeps it
  CHECK(schedule->learning_rate(200) == 0.2);
  CHECK(schedule->state() == ScheduleState{{"lr", 0.2}, {"best_val_acc", 0.7}, {"bad_epochs", 0}});
}

TEST_CASE("plateau's state round trip: a restored schedule goes on as the original") {
  ScheduleOptions o = of_kind(LrSchedule::Kind::plateau);
  o.plateau_patience = 3;
  o.warmup_steps = 5;
  const auto original = make_schedule(o, {0.1, 10, 1000});
  for (const double acc : {0.3, 0.4, 0.4, 0.4, 0.4, 0.2}) original->on_epoch_end(acc);
  // A cut (0.05) and one epoch without a new best since.
  const ScheduleState saved = original->state();
  CHECK(saved == ScheduleState{{"lr", 0.05}, {"best_val_acc", 0.4}, {"bad_epochs", 1}});
  const auto restored = make_schedule(o, {0.1, 10, 1000});
  restored->load_state(saved);
  CHECK(restored->state() == saved);
  for (const double acc : {0.35, 0.39}) {  // the 3rd epoch without a new best cuts both
    original->on_epoch_end(acc);
    restored->on_epoch_end(acc);
  }
  CHECK(original->learning_rate(80) == 0.025);
  CHECK(restored->learning_rate(80) == 0.025);
  CHECK(restored->state() == original->state());
  // A bad state is refused naming the entry, and leaves the schedule as it was.
  const ScheduleState before = restored->state();
  CHECK(argument_error_of([&] {
          restored->load_state({{"lr", 0.05}, {"best_val_acc", 0.4}});
        }) == "plateau state: 'bad_epochs' is missing");
  CHECK(argument_error_of([&] {
          restored->load_state({{"lr", 0.05}, {"best_val_acc", 0.4}, {"bad_epochs", 3}});
        }) == "plateau state: 'bad_epochs' must be a whole number from 0 to 2, got 3");
  CHECK(argument_error_of([&] {
          restored->load_state({{"lr", 0.5}, {"best_val_acc", 0.4}, {"bad_epochs", 0}});
        }) == "plateau state: 'lr' must be from min_lr 0 to the initial rate 0.1, got 0.5");
  CHECK(argument_error_of([&] {
          restored->load_state({{"lr", 0.05}, {"best_val_acc", 1.5}, {"bad_epochs", 0}});
        }) == "plateau state: 'best_val_acc' must be -1 (no epoch yet) or in [0, 1], got 1.5");
  CHECK(restored->state() == before);
}

TEST_CASE("Bad settings are refused naming the setting") {
  const auto refusal = [](std::function<void(ScheduleOptions&)> change,
                          ScheduleRun run = {1e-3, 10, 100}) {
    ScheduleOptions o;
    change(o);
    return argument_error_of([&] { make_schedule(o, run); });
  };
  using K = LrSchedule::Kind;
  CHECK(refusal([](ScheduleOptions& o) { o.lr_decay = 0; }) ==
        "lr_decay: must be in (0, 1], got 0");
  CHECK(refusal([](ScheduleOptions& o) { o.lr_decay = 1.5; }) ==
        "lr_decay: must be in (0, 1], got 1.5");
  CHECK(refusal([](ScheduleOptions& o) { o.min_lr = -1; }) ==
        "min_lr: must be a finite number >= 0, got -1");
  CHECK(refusal([](ScheduleOptions& o) { o.min_lr = NAN; }) ==
        "min_lr: must be a finite number >= 0, got nan");
  for (const K kind : {K::cosine, K::plateau}) {
    CHECK(refusal([&](ScheduleOptions& o) {
            o.kind = kind;
            o.min_lr = 1e-3;
          }) == fmt::format("min_lr: 0.001 must be below the learning rate 0.001 (the {} "
                            "schedule falls to it)",
                            name_of(kind)));
  }
  CHECK(refusal([](ScheduleOptions& o) { o.min_lr = 1; }).empty());  // step never falls to it
  CHECK(refusal([](ScheduleOptions& o) { o.plateau_factor = 1; }) ==
        "plateau_factor: must be in (0, 1), got 1");
  CHECK(refusal([](ScheduleOptions& o) { o.plateau_factor = 0; }) ==
        "plateau_factor: must be in (0, 1), got 0");
  CHECK(refusal([](ScheduleOptions& o) { o.plateau_patience = 0; }) ==
        "plateau_patience: must be at least 1 epoch, got 0");
  CHECK(refusal([](ScheduleOptions& o) { o.warmup_steps = -1; }) ==
        "warmup_steps: must be >= 0 (0: none), got -1");
  CHECK(refusal([](ScheduleOptions& o) { o.warmup_steps = 100; }) ==
        "warmup_steps: 100 must be fewer than the run's 100 steps");
  CHECK(refusal([](ScheduleOptions& o) { o.warmup_steps = 99; }).empty());
  CHECK(refusal([](ScheduleOptions&) {}, {0, 10, 100}) ==
        "learning_rate: must be a positive finite number, got 0");
  CHECK(argument_error_of([] { parse_schedule_kind("linear"); }) ==
        "lr_schedule: unknown schedule 'linear' (expected constant, step, cosine or plateau)");
  for (const K kind : {K::constant, K::step, K::cosine, K::plateau}) {
    CHECK(parse_schedule_kind(name_of(kind)) == kind);
  }
}
