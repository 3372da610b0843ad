// tools/predict: uses a trained model without training anything. On a data
// set's test split it prints the accuracy, the accuracy of each class and the
// confusion matrix, and writes confusion.svg and predictions.csv; with
// --images it classifies image files (PNG, PGM/PPM, IDX).
//   bazel run //tools:predict -- runs/<run>                 the run's model.tgm on its data set
//   bazel run //tools:predict -- model.tgm --data mnist --data-dir DIR
//   bazel run //tools:predict -- runs/<run> --images shirt.png boot.pgm t10k-images-idx3-ubyte
#include "apps/usage_error.h"
#include "apps/predict.h"

#include <fmt/format.h>
#include <omp.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "apps/prediction.h"
#include "apps/progress.h"
#include "apps/progress_bar.h"
#include "apps/user_path.h"
#include "data/cifar10.h"
#include "data/class_names.h"
#include "data/idx.h"
#include "data/image_file.h"
#include "graph/errors.h"
#include "graph/memory.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "models/model_file.h"
#include "report/confusion.h"

namespace {

namespace fs = std::filesystem;

struct Flags {
  std::string model;  // a run folder or a model file
  std::string data;   // default: the model's data set
  std::string data_dir;
  std::int64_t num_test = 0;  // 0: all
  std::vector<std::string> images;
  std::string out;  // default: the run folder, or the model file's folder
  std::string save_scores;
  std::int64_t batch_size = 100;  // the Solver's evaluation batches
  int threads = 2;
};

std::string model_path(const std::string& given) {
  return fs::is_directory(given) ? (fs::path(given) / tg::kModelFile).string() : given;
}

std::string data_title(const std::string& data) {
  if (data == "fashion-mnist") return "Fashion-MNIST";
  if (data == "mnist") return "MNIST";
  return "CIFAR-10";
}

tg::Dataset load_test_set(const std::string& data, const std::string& data_dir) {
  if (data == "fashion-mnist" || data == "mnist") {
    if (data == "mnist" && data_dir.empty()) {
      throw tg::ArgumentError(
          "--data mnist needs --data-dir: the folder with t10k-images-idx3-ubyte(.gz) and "
          "t10k-labels-idx1-ubyte(.gz)");
    }
    return tg::load_idx_test_set(data_dir.empty() ? std::string(tg::kFashionMnistFolder)
                                                  : data_dir);
  }
  if (data_dir.empty()) {
    throw tg::ArgumentError("--data cifar10 needs --data-dir: the folder with test_batch.bin");
  }
  return tg::load_cifar10_test_set(data_dir);
}

void save_scores(const Flags& flags, const tg::Predictions& predictions) {
  if (flags.save_scores.empty()) return;
  tg::save_npy(tg::from_user_folder(flags.save_scores), predictions.scores);
}

// The images of all the files, in one tensor, and the name of each image.
struct NamedImages {
  tg::Tensor images;
  std::vector<std::string> names;
};

NamedImages read_images(const std::vector<std::string>& files, const tg::Shape& shape) {
  std::vector<tg::Tensor> parts;
  NamedImages out;
  std::int64_t total = 0;
  for (const std::string& given : files) {
    const std::string path = tg::from_user_folder(given);
    tg::Tensor images = tg::load_images(path, shape[0]);
    if (images.dim(2) != shape[1] || images.dim(3) != shape[2]) {
      throw tg::FileError(
          fmt::format("{}: the image is {}x{}, the model takes {}x{} (height x width)", path,
                      images.dim(2), images.dim(3), shape[1], shape[2]));
    }
    for (std::int64_t i = 0; i < images.dim(0); ++i) {
      out.names.push_back(images.dim(0) == 1 ? given : fmt::format("{}[{}]", given, i));
    }
    total += images.dim(0);
    parts.push_back(std::move(images));
  }
  out.images = tg::Tensor::empty({total, shape[0], shape[1], shape[2]});
  char* to = static_cast<char*>(out.images.raw_data());
  for (const tg::Tensor& part : parts) {
    std::memcpy(to, part.raw_data(), part.bytes());
    to += part.bytes();
  }
  return out;
}

// Prints each image's class with its probability, and the runner-up.
int classify_images(const Flags& flags, tg::LoadedModel& loaded) {
  const std::optional<tg::Shape> shape = tg::image_shape(loaded);
  if (!shape) {
    throw tg::ArgumentError(
        "--images: the model file does not say what size its images are (it was saved without a "
        "mean image)");
  }
  const NamedImages named = read_images(flags.images, *shape);
  const tg::Predictions predictions =
      tg::predict(*loaded.model, loaded.input, named.images, flags.batch_size);
  const std::vector<std::string> classes =
      tg::class_names(loaded.input.data_set, predictions.scores.dim(1));
  for (std::size_t i = 0; i < named.names.size(); ++i) {
    const std::vector<double> p =
        tg::probabilities(predictions.scores, static_cast<std::int64_t>(i));
    std::vector<std::size_t> order(p.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return p[a] > p[b]; });
    fmt::print("{}: {} ({:.4f})", named.names[i], classes[order[0]], p[order[0]]);
    if (p.size() > 1) fmt::print(", then {} ({:.4f})", classes[order[1]], p[order[1]]);
    fmt::print("\n");
  }
  save_scores(flags, predictions);
  return 0;
}

int evaluate(const Flags& flags, tg::LoadedModel& loaded, const std::string& path) {
  const std::string data = !flags.data.empty()              ? flags.data
                           : !loaded.input.data_set.empty() ? loaded.input.data_set
                                                            : "fashion-mnist";
  tg::Dataset test = load_test_set(data, tg::from_user_folder(flags.data_dir));
  if (flags.num_test > 0 && flags.num_test < test.size())
    test = tg::slice_dataset(test, 0, flags.num_test);
  fmt::print("{} ({}) on the {} test set: {} images\n", loaded.model->type(), path,
             data_title(data), test.size());
  std::fflush(stdout);

  const auto start = std::chrono::steady_clock::now();
  tg::ProgressBar bar(stdout, isatty(fileno(stdout)) != 0, "evaluating", test.size(), "images");
  const tg::Predictions predictions =
      tg::predict(*loaded.model, loaded.input, test.images, flags.batch_size,
                  [&](std::int64_t done) { bar.update(done); });
  bar.finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const std::int64_t classes = predictions.scores.dim(1);
  tg::ConfusionMatrix matrix(tg::class_names(data, classes));
  for (std::size_t i = 0; i < predictions.classes.size(); ++i)
    matrix.add(test.labels[i], predictions.classes[i]);
  fmt::print("test accuracy {:.4f} ({} of {} right), {:.1f} s, {:.0f} images/s\n\n",
             matrix.accuracy(),
             static_cast<std::int64_t>(
                 std::llround(matrix.accuracy() * static_cast<double>(matrix.total()))),
             matrix.total(), seconds, static_cast<double>(test.size()) / std::max(seconds, 1e-9));
  fmt::print("{}", tg::confusion_text(matrix));

  const std::string out =
      !flags.out.empty() ? tg::from_user_folder(flags.out) : fs::path(path).parent_path().string();
  if (!out.empty()) tg::create_folders(out);
  const std::string svg = (fs::path(out) / "confusion.svg").string();
  const std::string csv = (fs::path(out) / "predictions.csv").string();
  tg::write_file_atomically(
      svg, tg::render_confusion_svg(matrix, fmt::format("{} on the {} test set",
                                                        loaded.model->type(), data_title(data))));
  tg::write_file_atomically(csv, tg::predictions_csv(predictions, test.labels));
  save_scores(flags, predictions);
  fmt::print("\nwrote {} and {}\n", svg, csv);
  return 0;
}

int run(const Flags& flags) {
  omp_set_num_threads(flags.threads);
  const std::string path = model_path(tg::from_user_folder(flags.model));
  tg::LoadedModel loaded = tg::load_model(path);
  return flags.images.empty() ? evaluate(flags, loaded, path) : classify_images(flags, loaded);
}

}  // namespace

int tg::predict_main(int argc, char** argv) {
  tg::retain_freed_memory();
  Flags flags;
  CLI::App app{
      "Uses a trained model: its accuracy on a data set's test split (confusion matrix, "
      "confusion.svg, predictions.csv), or the classes of image files."};
  app.add_option("model", flags.model, "A run folder (its model.tgm) or a model file")->required();
  app.add_option("--data", flags.data, "Data set (default: the one the model was trained on)")
      ->check(CLI::IsMember({"fashion-mnist", "mnist", "cifar10"}));
  app.add_option("--data-dir", flags.data_dir,
                 "Folder with the data set's files (default for fashion-mnist: " +
                     std::string(tg::kFashionMnistFolder) + ")");
  app.add_option("--num-test", flags.num_test, "Test examples (default: the whole test set)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--images", flags.images,
                 "Classify these files instead: PNG, PGM/PPM or IDX images of the model's size");
  app.add_option("--out", flags.out,
                 "Folder for confusion.svg and predictions.csv (default: the model's folder)");
  app.add_option("--save-scores", flags.save_scores,
                 "Also write the class scores (N, classes) to this .npy file");
  app.add_option("--batch-size", flags.batch_size, "Images per batch")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--threads", flags.threads, "Threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return usage_error(app, error, "predict");
  }
  try {
    return run(flags);
  } catch (const std::exception& e) {
    fmt::print(stderr, "predict: {}\n", e.what());
    return 1;
  }
}
