// A model of your own, written with tapegrad's C++ API and trained by the
// Solver on Fashion-MNIST; the run folder gets the loss curves, checkpoint and
// parameters like any `tools/train` run:
//   bazel run //tools:example_model [-- NUM_TRAIN EPOCHS RUN_FOLDER]
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <string>

#include "apps/user_path.h"
#include "tapegrad.h"

// conv 3x3 (16) - spatial batch norm - relu - 2x2 max pool - affine (10), from
// layer modules. Each layer's mode follows the model's train() / eval(), and
// the batch norm's running statistics are saved with the parameters.
std::shared_ptr<tg::Sequential> small_convnet() {
  tg::Rng rng(0);  // the initial weights
  return tg::sequential({
      {"conv",
       std::make_shared<tg::Conv2d>(1, 16, 3, tg::Conv2dOptions{/*stride=*/1, /*pad=*/1}, rng)},
      {"bn", std::make_shared<tg::BatchNorm2d>(16)},
      {"relu", std::make_shared<tg::ReLU>()},
      {"pool", std::make_shared<tg::MaxPool2d>(2, 2)},
      {"fc", std::make_shared<tg::Linear>(16 * 14 * 14, 10, tg::LinearOptions{}, rng)},
  });
}

// argv[index] as a positive count, or `fallback` when it is not given.
std::int64_t positive_argument(int argc, char** argv, int index, const char* name,
                               std::int64_t fallback) {
  if (argc <= index) return fallback;
  const std::string text = argv[index];
  std::size_t used = 0;
  std::int64_t value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || value <= 0) {
    throw tg::ArgumentError(
        fmt::format("example_model: {} must be a positive whole number, got '{}'", name, text));
  }
  return value;
}

int main(int argc, char** argv) try {
  tg::retain_freed_memory();  // reuse freed activations instead of page-faulting them back
  if (argc > 4) throw tg::ArgumentError("usage: example_model [NUM_TRAIN EPOCHS RUN_FOLDER]");
  const std::int64_t num_train = positive_argument(argc, argv, 1, "NUM_TRAIN", 10000);
  const std::int64_t epochs = positive_argument(argc, argv, 2, "EPOCHS", 2);
  const std::string run_folder = tg::from_user_folder(argc > 3 ? argv[3] : "runs/small-convnet");
  tg::PreprocessOptions pre;
  pre.num_training = num_train;
  pre.num_validation = 1000;
  pre.num_test = 10000;
  pre.scale = 1.0 / 255;
  const tg::DataSplits data =
      tg::preprocess(tg::load_idx_folder(std::string(tg::kFashionMnistFolder)), pre);

  const std::shared_ptr<tg::Sequential> model = small_convnet();
  tg::SolverOptions options;
  options.update_rule = "adam";
  options.num_epochs = epochs;
  options.batch_size = 50;
  options.print_every = 100;
  options.checkpoint_dir = run_folder;  // curves.svg, history files, checkpoint, params/*.npy
  tg::Solver solver(
      *model, {data.train.images, data.train.labels, data.val.images, data.val.labels}, options);
  solver.train();
  fmt::print("test accuracy: {:.4f}\n", solver.check_accuracy(data.test.images, data.test.labels));
  fmt::print("run folder: {}\n", run_folder);
  return 0;
} catch (const std::exception& error) {
  std::fprintf(stderr, "%s\n", error.what());
  return 1;
}
