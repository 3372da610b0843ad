// apps/train_flags.h: tools/train's command line as a library: values read
// as written and refused naming the flag, each model's defaults, what a
// resumed run may change, and the record a run keeps of its flags.
#include "apps/train_flags.h"

#include <doctest/doctest.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <string>
#include <vector>

#include "graph/errors.h"

namespace {

// The command line `args` (without the program's name) parsed.
struct Parsed {
  CLI::App app{"train"};
  tg::TrainCommandLine line{app};
  explicit Parsed(std::vector<std::string> args) {
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
    app.parse(args);
  }
};

// The ArgumentError's message that `action` throws ("" when none).
template <class Action>
std::string argument_error_of(Action action) {
  try {
    action();
  } catch (const tg::ArgumentError& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("A new run gets its model's defaults with the flags given read into them") {
  const tg::TrainFlags cnn = Parsed({}).line.new_run();
  CHECK(cnn.model == "cnn");
  CHECK(cnn.epochs == 10);
  CHECK(cnn.batch_size == 64);
  const tg::TrainFlags charlm = Parsed({"--model", "charlm"}).line.new_run();
  CHECK(charlm.hidden == 256);
  CHECK(charlm.epochs == 5);
  CHECK(charlm.clip_grad_norm == 5.0);
  const tg::TrainFlags given =
      Parsed({"--epochs", "3", "--lr", "1e-2", "--no-batchnorm"}).line.new_run();
  CHECK(given.epochs == 3);
  REQUIRE(given.lr.has_value());
  CHECK(*given.lr == 1e-2);
  CHECK(given.no_batchnorm);
}

TEST_CASE("A value a flag cannot take is refused naming the flag and the value") {
  CHECK(argument_error_of([] {
          Parsed({"--lr", "0"}).line.new_run();
        }) == "--lr must be a positive finite number, got 0");
  CHECK(argument_error_of([] {
          Parsed({"--epochs", "-1"}).line.new_run();
        }).find("--epochs must be") != std::string::npos);
  CHECK(argument_error_of([] {
          Parsed({"--model", "rnn"}).line.new_run();
        }).find("--model must be one of") != std::string::npos);
  CHECK(argument_error_of([] {
          Parsed({"--filter-size", "4"}).line.new_run();
        }) == "--filter-size must be odd, got 4");
}

TEST_CASE("A resumed run keeps its flags: a different one is refused, --epochs may grow") {
  tg::TrainFlags recorded = tg::default_flags("cnn");
  recorded.lr = 1e-3;
  const std::string message = argument_error_of([&] {
    Parsed({"--lr", "0.01"}).line.continue_run(recorded);
  });
  CHECK(message.find("--lr 0.01") != std::string::npos);
  CHECK(message.find("0.001") != std::string::npos);
  CHECK(Parsed({"--epochs", "12"}).line.continue_run(recorded).epochs == 12);
  CHECK(Parsed({"--threads", "1"}).line.continue_run(recorded).threads == 1);
}

TEST_CASE("The flags a run records read back as they were") {
  tg::TrainFlags flags =
      Parsed({"--model", "fc", "--hidden-dims", "30,20", "--keep-prob", "0.5"}).line.new_run();
  tg::finish_flags(flags);
  const tg::TrainFlags back = tg::flags_from_json(tg::flags_to_json(flags));
  CHECK(tg::flags_to_json(back) == tg::flags_to_json(flags));
  CHECK(back.hidden_dims == std::vector<std::int64_t>{30, 20});
  CHECK(back.keep_prob == 0.5);
}

TEST_CASE("The schedule flags: read, refused by name, their defaults for runs recorded before") {
  tg::TrainFlags flags = Parsed({"--lr-schedule", "plateau", "--warmup-steps", "100", "--min-lr",
                                 "1e-5", "--plateau-factor", "0.2", "--plateau-patience", "3"})
                             .line.new_run();
  CHECK(flags.lr_schedule == "plateau");
  CHECK(flags.warmup_steps == 100);
  CHECK(flags.min_lr == 1e-5);
  CHECK(flags.plateau_factor == 0.2);
  CHECK(flags.plateau_patience == 3);
  const auto refusal = [](std::vector<std::string> args) {
    return argument_error_of([&] { Parsed(args).line.new_run(); });
  };
  CHECK(refusal({"--lr-schedule", "linear"}) ==
        "--lr-schedule must be one of constant, step, cosine, plateau; got linear");
  CHECK(refusal({"--warmup-steps", "-1"}) ==
        "--warmup-steps must be a whole number from 0 to 100000000, got -1");
  CHECK(refusal({"--min-lr", "-1"}) == "--min-lr must be a finite number, 0 or more, got -1");
  CHECK(refusal({"--plateau-factor", "1"}) ==
        "--plateau-factor must be a number above 0 and below 1, got 1");
  CHECK(refusal({"--plateau-patience", "0"}) ==
        "--plateau-patience must be a positive whole number, got 0");
  tg::TrainFlags falls =
      Parsed({"--lr-schedule", "cosine", "--lr", "1e-3", "--min-lr", "1e-2"}).line.new_run();
  CHECK(argument_error_of([&] { tg::finish_flags(falls); }) ==
        "--min-lr 0.01 must be below --lr 0.001: the cosine schedule falls to it");

  tg::finish_flags(flags);
  CHECK(argument_error_of([&] {
          Parsed({"--warmup-steps", "10"}).line.continue_run(flags);
        }).find("--warmup-steps 10 differs from this run's --warmup-steps 100") == 0);
  // A run recorded before these flags existed: no warm-up, min-lr 0,
  // plateau factor 0.5 and patience 2 (the Solver's defaults).
  tg::Json earlier = tg::flags_to_json(flags);
  for (const char* flag : {"warmup-steps", "min-lr", "plateau-factor", "plateau-patience"}) {
    earlier.erase(flag);
  }
  const tg::TrainFlags read = tg::flags_from_json(earlier);
  CHECK(read.warmup_steps == 0);
  CHECK(read.min_lr == 0);
  CHECK(read.plateau_factor == tg::ScheduleOptions{}.plateau_factor);
  CHECK(read.plateau_patience == tg::ScheduleOptions{}.plateau_patience);
}
