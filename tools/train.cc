// tools/train: the main job. Trains a model on Fashion-MNIST (default),
// MNIST or CIFAR-10 and leaves a run folder with loss curves, checkpoints and
// the parameters:
//   bazel run //tools:train                       ThreeLayerConvNet + spatial batch norm,
//   Fashion-MNIST bazel run //tools:train -- --model fc --epochs 10 --optimizer sgd_momentum --lr
//   1e-2 bazel run //tools:train -- --resume runs/<run>  (with the flags of the run) bazel run
//   //tools:train -- --help
#include <fmt/format.h>
#include <omp.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "data/cifar10.h"
#include "data/idx.h"
#include "data/preprocess.h"
#include "graph/errors.h"
#include "graph/memory.h"
#include "models/fully_connected_net.h"
#include "models/three_layer_convnet.h"
#include "report/run_files.h"
#include "solver/solver.h"
#include "tools/progress.h"
#include "tools/user_path.h"

namespace {

// Pixels to about [-0.5, 0.5] after the mean image is subtracted.
constexpr double kPixelScale = 1.0 / 255.0;

struct Flags {
  std::string data = "fashion-mnist";
  std::string data_dir;
  std::string model = "cnn";
  std::int64_t epochs = 10;
  std::int64_t batch_size = 64;
  std::optional<double> lr;
  double lr_decay = 0.8;
  std::string lr_schedule = "step";
  std::string optimizer = "adam";
  double reg = 0.0;
  std::int64_t num_train = 0;  // 0: everything but the validation split
  std::int64_t num_val = 5000;
  std::int64_t num_test = 0;  // 0: the whole test set
  std::string out;
  std::uint64_t seed = 0;
  std::string resume;
  int threads = 2;
  bool no_batchnorm = false;
  std::int64_t filters = 32;
  std::int64_t filter_size = 7;
  std::int64_t hidden = 100;
  std::vector<std::int64_t> hidden_dims = {256, 256};
  double keep_prob = 1.0;
  std::int64_t checkpoint_every = 0;
  bool detect_anomaly = false;
};

std::string data_title(const std::string& data) {
  if (data == "fashion-mnist") return "Fashion-MNIST";
  if (data == "mnist") return "MNIST";
  return "CIFAR-10";
}

tg::TrainAndTest load_data(const Flags& flags) {
  if (flags.data == "cifar10") {
    if (flags.data_dir.empty()) {
      throw tg::ArgumentError(
          "--data cifar10 needs --data-dir: the folder with data_batch_1.bin ... test_batch.bin "
          "(CIFAR-10 binary version)");
    }
    return tg::load_cifar10(tg::from_user_folder(flags.data_dir));
  }
  if (flags.data == "mnist" && flags.data_dir.empty()) {
    throw tg::ArgumentError(
        "--data mnist needs --data-dir: the folder with train-images-idx3-ubyte(.gz) and the "
        "three other IDX files");
  }
  return tg::load_idx_folder(flags.data_dir.empty() ? std::string(tg::kFashionMnistFolder)
                                                    : tg::from_user_folder(flags.data_dir));
}

// The train / validation / test splits, preprocessed; the data as loaded is
// freed on return, not kept for the whole run.
tg::DataSplits load_splits(const Flags& flags) {
  const tg::TrainAndTest raw = load_data(flags);
  tg::PreprocessOptions pre;
  pre.num_validation = flags.num_val;
  pre.num_training = flags.num_train > 0 ? flags.num_train : raw.train.size() - flags.num_val;
  pre.num_test = flags.num_test > 0 ? flags.num_test : raw.test.size();
  pre.scale = kPixelScale;
  return tg::preprocess(raw, pre);
}

std::unique_ptr<tg::Module> make_model(const Flags& flags, const tg::Dataset& train) {
  const tg::Shape& image = train.images.shape();
  const tg::WeightInit kaiming{tg::WeightInit::Kind::kaiming, 0.0};
  if (flags.model == "cnn") {
    tg::ThreeLayerConvNetOptions o;
    o.input_dim = {image[1], image[2], image[3]};
    o.num_filters = flags.filters;
    o.filter_size = flags.filter_size;
    o.hidden_dim = flags.hidden;
    o.num_classes = train.num_classes;
    o.init = kaiming;
    o.reg = flags.reg;
    o.spatial_batchnorm = !flags.no_batchnorm;
    o.seed = flags.seed;
    return std::make_unique<tg::ThreeLayerConvNet>(o);
  }
  tg::FullyConnectedNetOptions o;
  o.hidden_dims = flags.hidden_dims;
  o.input_dim = image.numel_after_first();
  o.num_classes = train.num_classes;
  o.keep_prob = flags.keep_prob;
  o.normalization = flags.no_batchnorm ? tg::Normalization::none : tg::Normalization::batchnorm;
  o.init = kaiming;
  o.reg = flags.reg;
  o.seed = flags.seed;
  return std::make_unique<tg::FullyConnectedNet>(o);
}

std::string default_run_folder(const Flags& flags) {
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
  return fmt::format("runs/{}-{}-{}", flags.data, flags.model, stamp);
}

// --resume takes a run folder or its checkpoint file.
std::string checkpoint_of(const std::string& resume) {
  return std::filesystem::is_directory(resume) ? tg::path_in_folder(resume, tg::kCheckpointFile)
                                               : resume;
}

int run(const Flags& flags) {
  omp_set_num_threads(flags.threads);
  const auto started = std::chrono::steady_clock::now();
  const tg::DataSplits data = load_splits(flags);

  const std::unique_ptr<tg::Module> model = make_model(flags, data.train);
  model->set_detect_anomaly(flags.detect_anomaly);
  std::string resume =
      flags.resume.empty() ? "" : checkpoint_of(tg::from_user_folder(flags.resume));
  std::string folder = tg::from_user_folder(flags.out);
  if (folder.empty()) {
    folder = resume.empty() ? tg::from_user_folder(default_run_folder(flags))
                            : std::filesystem::path(resume).parent_path().string();
  }

  tg::SolverOptions options;
  options.update_rule = flags.optimizer;
  options.optim_config.learning_rate = flags.lr;
  options.lr_decay = flags.lr_decay;
  options.lr_schedule = tg::parse_schedule_kind(flags.lr_schedule);
  options.batch_size = flags.batch_size;
  options.num_epochs = flags.epochs;
  options.verbose = false;
  options.num_train_samples = 5000;
  options.checkpoint_dir = folder;
  options.checkpoint_every = flags.checkpoint_every;
  options.seed = flags.seed;
  options.title = fmt::format("{} on {}", model->name(), data_title(flags.data));
  options.model_input = {flags.data, data.mean_image, kPixelScale};  // saved in model.tgm
  options.extra_config = {{"data", flags.data},
                          {"model_kind", flags.model},
                          {"batchnorm", !flags.no_batchnorm},
                          {"threads", flags.threads}};
  tg::ProgressDisplay progress(stdout, isatty(fileno(stdout)) != 0, flags.epochs);
  options.on_step = [&](const tg::StepInfo& step) { progress.step(step); };
  options.on_epoch = [&](const tg::EpochRecord& record, bool best) {
    progress.epoch(record, best);
  };
  tg::Solver trainer(
      *model, {data.train.images, data.train.labels, data.val.images, data.val.labels}, options);
  if (!resume.empty()) {
    trainer.resume(resume);
    fmt::print("resumed from {} at iteration {} (epoch {})\n", resume, trainer.iteration(),
               trainer.epoch());
  }
  fmt::print(
      "{} ({}) on {}: {} train / {} val / {} test images, {}, batch {}, {} epoch{}, {} threads\n",
      model->name(), flags.no_batchnorm ? "no batch norm" : "batch norm", data_title(flags.data),
      data.train.size(), data.val.size(), data.test.size(), trainer.optimizer().rule(),
      flags.batch_size, flags.epochs, flags.epochs == 1 ? "" : "s", flags.threads);
  fmt::print("run folder: {}\n", folder);
  std::fflush(stdout);

  trainer.train();
  progress.finish();
  const double test_acc = trainer.check_accuracy(data.test.images, data.test.labels);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  trainer.write_run_files({{"test_acc", test_acc}, {"total_seconds", seconds}});
  fmt::print("test accuracy {:.4f} (best validation accuracy {:.4f}), {} in all\n", test_acc,
             trainer.best_val_acc(), tg::format_duration(seconds));
  fmt::print(
      "run folder: {}  (curves.svg, history.csv, epochs.csv, history.json, checkpoint.tgck, "
      "model.tgm, params/)\n",
      folder);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  tg::retain_freed_memory();
  Flags flags;
  CLI::App app{
      "Trains a model with tapegrad and writes loss curves, checkpoints and parameters "
      "into a run folder."};
  app.add_option("--data", flags.data, "Data set")
      ->check(CLI::IsMember({"fashion-mnist", "mnist", "cifar10"}))
      ->capture_default_str();
  app.add_option("--data-dir", flags.data_dir,
                 "Folder with the data set's files (default for fashion-mnist: " +
                     std::string(tg::kFashionMnistFolder) + ")");
  app.add_option("--model", flags.model, "cnn: ThreeLayerConvNet; fc: FullyConnectedNet")
      ->check(CLI::IsMember({"cnn", "fc"}))
      ->capture_default_str();
  app.add_option("--epochs", flags.epochs, "Epochs to train")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--batch-size", flags.batch_size, "Minibatch size")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--lr", flags.lr, "Initial learning rate (default: the optimizer's)")
      ->check(CLI::PositiveNumber);
  app.add_option("--lr-decay", flags.lr_decay, "Learning-rate factor per epoch (step schedule)")
      ->check(CLI::Range(1e-9, 1.0))
      ->capture_default_str();
  app.add_option("--lr-schedule", flags.lr_schedule, "step or cosine")
      ->check(CLI::IsMember({"step", "cosine"}))
      ->capture_default_str();
  app.add_option("--optimizer", flags.optimizer, "Update rule")
      ->check(CLI::IsMember({"sgd", "sgd_momentum", "rmsprop", "adam"}))
      ->capture_default_str();
  app.add_option("--reg", flags.reg, "L2 regularisation strength")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--num-train", flags.num_train,
                 "Training examples (default: all but the validation split)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--num-val", flags.num_val, "Validation examples, taken after the training ones")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--num-test", flags.num_test, "Test examples (default: the whole test set)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--out", flags.out, "Run folder (default: runs/<data>-<model>-<time>)");
  app.add_option("--seed", flags.seed, "Seed of initial weights, minibatches and dropout")
      ->capture_default_str();
  app.add_option("--resume", flags.resume,
                 "Continue a run: its folder or checkpoint (give the run's flags)");
  app.add_option("--threads", flags.threads, "Threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_flag("--no-batchnorm", flags.no_batchnorm, "Without (spatial) batch norm");
  app.add_option("--filters", flags.filters, "cnn: number of filters")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--filter-size", flags.filter_size, "cnn: filter size (odd)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--hidden", flags.hidden, "cnn: hidden units")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--hidden-dims", flags.hidden_dims, "fc: hidden layer sizes")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--keep-prob", flags.keep_prob, "fc: dropout keep probability (1: none)")
      ->check(CLI::Range(1e-9, 1.0))
      ->capture_default_str();
  app.add_option("--checkpoint-every", flags.checkpoint_every,
                 "Also checkpoint every this many iterations (0: at epoch ends only)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag(
      "--detect-anomaly", flags.detect_anomaly,
      "Check every op's output and gradient for NaN/inf, naming the first bad op (slower)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return run(flags);
  } catch (const std::exception& e) {
    fmt::print(stderr, "\ntrain: {}\n", e.what());
    return 1;
  }
}
