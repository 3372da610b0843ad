// tools/train: the main job. Trains a model on Fashion-MNIST (default),
// MNIST or CIFAR-10 and leaves a run folder with loss curves, checkpoints and
// the parameters:
//   bazel run //tools:train                         ThreeLayerConvNet + spatial batch norm
//   bazel run //tools:train -- --model fc --epochs 10 --optimizer sgd_momentum --lr 1e-2
//   bazel run //tools:train -- --resume runs/<run>  continue a run (no other flag needed)
//   bazel run //tools:train -- --help
// A run folder is new (unique even for runs started together) or given with
// --out; it is locked for the whole run. The run records every flag; --resume
// continues with them. The first Ctrl-C (or SIGTERM) stops after the current
// step with a checkpoint, a second one at once.
// Exit status: 0 done; 1 an error (files, data, training diverged); 2 a bad
// command line; 130 / 143 stopped by SIGINT / SIGTERM (continue with --resume).
#include <fmt/format.h>
#include <omp.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <ctime>
#include <optional>
#include <string>

#include "data/cifar10.h"
#include "data/idx.h"
#include "data/preprocess.h"
#include "graph/errors.h"
#include "graph/memory.h"
#include "io/checkpoint.h"
#include "models/fully_connected_net.h"
#include "models/three_layer_convnet.h"
#include "report/run_files.h"
#include "solver/solver.h"
#include "tools/progress.h"
#include "tools/run_folder.h"
#include "tools/stop_signals.h"
#include "tools/train_flags.h"
#include "tools/train_limits.h"
#include "tools/user_path.h"

namespace {

// Pixels to about [-0.5, 0.5] after the mean image is subtracted.
constexpr double kPixelScale = 1.0 / 255.0;

std::string data_title(const std::string& data) {
  if (data == "fashion-mnist") return "Fashion-MNIST";
  if (data == "mnist") return "MNIST";
  return "CIFAR-10";
}

// The train / validation / test splits, preprocessed, after the limits that
// need the data's size are checked; the data as loaded is freed on return.
tg::DataSplits load_splits(const tg::TrainFlags& flags) {
  const tg::TrainAndTest raw = flags.data == "cifar10" ? tg::load_cifar10(flags.data_dir)
                                                       : tg::load_idx_folder(flags.data_dir);
  tg::check_splits(flags, raw.train.size(), raw.test.size(), data_title(flags.data));
  tg::check_memory(flags,
                   tg::estimate_memory(flags, raw.train.images.shape(), raw.train.num_classes),
                   tg::physical_memory_bytes());
  const std::int64_t train_images = tg::training_images(flags, raw.train.size());
  tg::check_iterations(flags, std::max<std::int64_t>(train_images / flags.batch_size, 1));
  tg::PreprocessOptions pre;
  pre.num_validation = flags.num_val;
  pre.num_training = train_images;
  pre.num_test = flags.num_test > 0 ? flags.num_test : raw.test.size();
  pre.scale = kPixelScale;
  return tg::preprocess(raw, pre);
}

std::unique_ptr<tg::Module> make_model(const tg::TrainFlags& flags, const tg::Dataset& train) {
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

std::string default_run_folder(const tg::TrainFlags& flags) {
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
  return tg::from_user_folder(fmt::format("runs/{}-{}-{}", flags.data, flags.model, stamp));
}

// The flags the run in a checkpoint recorded.
tg::TrainFlags recorded_flags(const tg::Checkpoint& checkpoint, const std::string& folder) {
  tg::Json config;
  try {
    config = tg::recorded_config(checkpoint);
  } catch (const tg::FileError& error) {
    throw tg::FileError(
        fmt::format("{} (train --out {} --overwrite with the run's flags starts it again)",
                    error.what(), folder));
  }
  if (!config.contains("train_flags")) {
    throw tg::ArgumentError(fmt::format(
        "--resume {}: this run was not started by tools/train (its checkpoint records no train "
        "flags)",
        folder));
  }
  try {
    return tg::flags_from_json(config.at("train_flags"));
  } catch (const tg::ArgumentError& error) {
    throw tg::FileError(fmt::format("{}: {}", checkpoint.source(), error.what()));
  }
}

bool same_folder(const std::string& a, const std::string& b) {
  std::error_code error;
  return std::filesystem::equivalent(a, b, error);
}

int run(const tg::TrainCommandLine& command_line) {
  const auto started = std::chrono::steady_clock::now();
  const std::string out = tg::from_user_folder(command_line.out());
  tg::RunFolder folder;
  std::optional<tg::Checkpoint> checkpoint;
  tg::TrainFlags flags;
  if (!command_line.resume().empty()) {
    if (command_line.overwrite()) {
      throw tg::ArgumentError("--overwrite starts a new run; --resume continues one: give one");
    }
    folder = tg::open_run_to_resume(tg::from_user_folder(command_line.resume()));
    if (!out.empty() && !same_folder(out, folder.path)) {
      throw tg::ArgumentError(
          fmt::format("--out {}: a resumed run stays in its folder {}", out, folder.path));
    }
    checkpoint = tg::Checkpoint::load(tg::path_in_folder(folder.path, tg::kCheckpointFile));
    flags = command_line.continue_run(recorded_flags(*checkpoint, folder.path));
  } else {
    flags = command_line.apply_to(tg::TrainFlags{});
    if (!out.empty()) tg::check_new_run_folder(out, command_line.overwrite());
  }
  tg::finish_flags(flags);
  omp_set_num_threads(static_cast<int>(flags.threads));

  const tg::DataSplits data = load_splits(flags);
  const std::unique_ptr<tg::Module> model = make_model(flags, data.train);
  model->set_detect_anomaly(flags.detect_anomaly);
  if (tg::stop_signal() != 0) {
    fmt::print("stopped before training started\n");
    return tg::exit_status_for(tg::stop_signal());
  }
  if (!checkpoint) {
    folder = tg::open_new_run_folder(out, default_run_folder(flags), command_line.overwrite());
  }
  if (const std::size_t removed = tg::remove_stale_run_temporaries(folder.path)) {
    fmt::print("removed {} temporary file{} of interrupted writes from {}\n", removed,
               removed == 1 ? "" : "s", folder.path);
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
  options.checkpoint_dir = folder.path;
  options.checkpoint_every = flags.checkpoint_every;
  options.divergence_factor = flags.divergence_factor;
  options.seed = flags.seed;
  options.title = fmt::format("{} on {}", model->name(), data_title(flags.data));
  options.model_input = {flags.data, data.mean_image, kPixelScale};  // saved in model.tgm
  options.extra_config = {{"train_flags", tg::flags_to_json(flags)}};
  tg::ProgressDisplay progress(stdout, isatty(fileno(stdout)) != 0, flags.epochs);
  options.on_step = [&](const tg::StepInfo& step) { progress.step(step); };
  options.on_epoch = [&](const tg::EpochRecord& record, bool best) {
    progress.epoch(record, best);
  };
  options.stop_requested = [] { return tg::stop_signal() != 0; };
  tg::Solver trainer(
      *model, {data.train.images, data.train.labels, data.val.images, data.val.labels}, options);
  if (checkpoint) {
    trainer.load_checkpoint(*checkpoint);
    checkpoint.reset();
    fmt::print("resumed from {} at iteration {} (epoch {})\n", folder.path, trainer.iteration(),
               trainer.epoch());
    if (trainer.iteration() == flags.epochs * trainer.iterations_per_epoch()) {
      fmt::print("the run has done its {} epochs: give more --epochs to train on\n", flags.epochs);
    }
  }
  fmt::print(
      "{} ({}) on {}: {} train / {} val / {} test images, {}, batch {}, {} epoch{}, {} threads\n",
      model->name(), flags.no_batchnorm ? "no batch norm" : "batch norm", data_title(flags.data),
      data.train.size(), data.val.size(), data.test.size(), trainer.optimizer().rule(),
      flags.batch_size, flags.epochs, flags.epochs == 1 ? "" : "s", flags.threads);
  fmt::print("run folder: {}\n", folder.path);
  std::fflush(stdout);

  const tg::TrainEnd end = trainer.train();
  progress.finish();
  if (end == tg::TrainEnd::stopped) {
    fmt::print("stopped at iteration {}; continue with: train --resume {}\n", trainer.iteration(),
               folder.path);
    return tg::exit_status_for(tg::stop_signal());
  }
  const double test_acc = trainer.check_accuracy(data.test.images, data.test.labels);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  trainer.write_run_files({{"test_acc", test_acc}, {"total_seconds", seconds}});
  fmt::print("test accuracy {:.4f} (best validation accuracy {:.4f}), {} in all\n", test_acc,
             trainer.best_val_acc(), tg::format_duration(seconds));
  fmt::print(
      "run folder: {}  (curves.svg, history.csv, epochs.csv, history.json, checkpoint.tgck, "
      "model.tgm, params/)\n",
      folder.path);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  tg::retain_freed_memory();
  CLI::App app{
      "Trains a model with tapegrad and writes loss curves, checkpoints and parameters "
      "into a run folder. Ctrl-C stops after the current step with a checkpoint; --resume "
      "continues.",
      "train"};
  const tg::TrainCommandLine command_line(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);  // --help
    fmt::print(stderr, "train: {} (see --help)\n", error.what());
    return 2;
  }
  tg::install_stop_handlers();
  try {
    return run(command_line);
  } catch (const tg::ArgumentError& error) {
    fmt::print(stderr, "\ntrain: {}\n", error.what());
    return 2;
  } catch (const tg::NumericError& error) {
    fmt::print(stderr,
               "\ntrain: {}\n(lower --lr; --divergence-factor sets the divergence guard, 0 turns "
               "it off)\n",
               error.what());
    return 1;
  } catch (const std::exception& error) {
    fmt::print(stderr, "\ntrain: {}\n", error.what());
    return 1;
  }
}
