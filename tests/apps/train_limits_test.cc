// apps/train_limits.h: what a run may ask for, each refusal naming the flag.
#include "apps/train_limits.h"

#include <doctest/doctest.h>

#include <string>

#include "graph/errors.h"

namespace {

template <class Action>
std::string argument_error_of(Action action) {
  try {
    action();
  } catch (const tg::ArgumentError& error) {
    return error.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("The splits must fit in the data set") {
  tg::TrainFlags flags = tg::default_flags("cnn");
  CHECK(argument_error_of([&] { tg::check_splits(flags, 60000, 10000, "Fashion-MNIST"); }).empty());
  flags.num_val = 60000;
  CHECK(contains(argument_error_of([&] { tg::check_splits(flags, 60000, 10000, "Fashion-MNIST"); }),
                 "--num-val"));
  flags = tg::default_flags("cnn");
  flags.num_test = 10001;
  CHECK(contains(argument_error_of([&] { tg::check_splits(flags, 60000, 10000, "Fashion-MNIST"); }),
                 "--num-test"));
  CHECK(tg::training_images(tg::default_flags("cnn"), 60000) == 55000);
}

TEST_CASE("A run has at most kMaxIterations iterations") {
  tg::TrainFlags flags = tg::default_flags("cnn");
  CHECK(argument_error_of([&] { tg::check_iterations(flags, 859); }).empty());
  flags.epochs = tg::kMaxIterations;
  CHECK(contains(argument_error_of([&] { tg::check_iterations(flags, 2); }), "--epochs"));
}

TEST_CASE("A warm-up is shorter than the run") {
  tg::TrainFlags flags = tg::default_flags("cnn");
  flags.epochs = 2;
  flags.warmup_steps = 19;
  CHECK(argument_error_of([&] { tg::check_iterations(flags, 10); }).empty());
  flags.warmup_steps = 20;
  CHECK(argument_error_of([&] { tg::check_iterations(flags, 10); }) ==
        "--warmup-steps 20 must be fewer than the run's 20 iterations (--epochs 2 of 10 each)");
}

TEST_CASE("A model or a batch larger than the memory is refused naming the flag to lower") {
  tg::TrainFlags flags = tg::default_flags("cnn");
  const tg::Shape image{55000, 1, 28, 28};
  const tg::MemoryEstimate fits = tg::estimate_memory(flags, image, 10);
  CHECK(fits.model > 0);
  CHECK(fits.batch > 0);
  CHECK(argument_error_of([&] { tg::check_memory(flags, fits, 64e9); }).empty());
  flags.batch_size = 1 << 22;
  const tg::MemoryEstimate big_batch = tg::estimate_memory(flags, image, 10);
  CHECK(contains(argument_error_of([&] { tg::check_memory(flags, big_batch, 64e9); }),
                 "--batch-size"));
}
