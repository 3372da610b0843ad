// tools/train: the main job. Trains a model on Fashion-MNIST (default),
// MNIST or CIFAR-10 and leaves a run folder with loss curves, checkpoints and
// the parameters:
//   bazel run //tools:train                         ThreeLayerConvNet + spatial batch norm
//   bazel run //tools:train -- --model fc --epochs 10 --optimizer sgd_momentum --lr 1e-2
//   bazel run //tools:train -- --model lstm          Fashion-MNIST row by row, an LSTM
//   bazel run //tools:train -- --model charlm        a character-level language model of
//                                                   Debian's word list (then tools/sample)
//   bazel run //tools:train -- --resume runs/<run>  continue a run (no other flag needed)
//   bazel run //tools:train -- --help
// A run folder is new (unique even for runs started together) or given with
// --out; it is locked for the whole run. The run records every flag; --resume
// continues with them. The first Ctrl-C (or SIGTERM) stops after the current
// step with a checkpoint, a second one at once.
// Under `mpirun -np K` (distributed/, docs/distributed.md) the K processes
// train one model data-parallel: --batch-size is the global batch; only
// rank 0 prints and writes the run folder.
// Exit status: 0 done; 1 an error (files, data, training diverged); 2 a bad
// command line; 130 / 143 stopped by SIGINT / SIGTERM (continue with --resume).
#include <fmt/format.h>
#include <omp.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "data/cifar10.h"
#include "data/idx.h"
#include "data/preprocess.h"
#include "data/text.h"
#include "distributed/mpi_replicas.h"
#include "graph/errors.h"
#include "graph/memory.h"
#include "io/checkpoint.h"
#include "models/char_rnn.h"
#include "models/fully_connected_net.h"
#include "models/sequence_classifier.h"
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
  if (flags.model == "lstm") {
    // An image (C, H, W) is read row by row: H steps of C * W features.
    tg::SequenceClassifierOptions o;
    o.cell = tg::CellKind::lstm;
    o.input_dim = image[1] * image[3];
    o.hidden_dim = flags.hidden;
    o.num_classes = train.num_classes;
    o.reg = flags.reg;
    o.seed = flags.seed;
    return std::make_unique<tg::SequenceClassifier>(o);
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

// What a run trains on, its model, and how it is judged once trained.
struct Task {
  tg::SolverData data;
  std::unique_ptr<tg::Module> model;
  std::string data_title;
  std::string sizes;  // "55000 train / 5000 val / 10000 test images"
  tg::InputSpec input;
  // Evaluates the trained model (the best parameters), prints the result and
  // returns the fields it adds to history.json.
  std::function<tg::Json(tg::Solver&)> evaluate;
};

Task image_task(const tg::TrainFlags& flags) {
  tg::DataSplits splits = load_splits(flags);
  Task task;
  task.model = make_model(flags, splits.train);
  task.data_title = data_title(flags.data);
  task.sizes = fmt::format("{} train / {} val / {} test images", splits.train.size(),
                           splits.val.size(), splits.test.size());
  task.input = {flags.data, splits.mean_image, kPixelScale};
  task.data = {splits.train.images, splits.train.labels, splits.val.images, splits.val.labels};
  task.evaluate = [test = std::move(splits.test)](tg::Solver& trainer) {
    const double test_acc = trainer.check_accuracy(test.images, test.labels);
    fmt::print("test accuracy {:.4f} (best validation accuracy {:.4f})\n", test_acc,
               trainer.best_val_acc());
    return tg::Json{{"test_acc", test_acc}};
  };
  return task;
}

// --model charlm: the word list split into training and validation words
// (--num-train, --num-val; a seeded shuffle), each a row of symbols; the
// unigram and bigram baselines fitted on the training words and measured on
// the validation ones, as the model is.
Task charlm_task(const tg::TrainFlags& flags) {
  std::vector<std::u32string> words = tg::read_word_list(flags.word_list);
  const std::int64_t num_words = static_cast<std::int64_t>(words.size());
  const tg::CharVocabulary vocabulary = tg::CharVocabulary::of_words(words);
  const std::int64_t length = tg::longest_word(words) + 2;
  Task task;
  task.data_title = fmt::format("the word list {}", flags.word_list);
  // No test split: --num-test is left unchecked (as many as there are).
  tg::check_splits(flags, num_words, flags.num_test, task.data_title, "words");
  tg::check_memory(flags,
                   tg::estimate_memory(flags, tg::Shape{num_words, length}, vocabulary.size()),
                   tg::physical_memory_bytes());
  const std::int64_t num_train = tg::training_images(flags, num_words);
  tg::check_iterations(flags, std::max<std::int64_t>(num_train / flags.batch_size, 1));
  tg::WordSplits split = tg::split_words(std::move(words), flags.num_val, flags.seed);
  split.train.resize(static_cast<std::size_t>(num_train));
  const tg::Tensor train = tg::encode_words(split.train, vocabulary, length);
  const tg::Tensor val = tg::encode_words(split.val, vocabulary, length);
  const tg::NgramBits baselines = tg::ngram_bits_per_symbol(train, val, vocabulary.size());

  tg::CharRnnOptions o;
  o.alphabet = vocabulary.alphabet();
  o.embed_dim = tg::kCharEmbedding;
  o.hidden_dim = flags.hidden;
  o.reg = flags.reg;
  o.seed = flags.seed;
  auto model = std::make_unique<tg::CharRNN>(o);
  tg::CharRNN* language_model = model.get();
  task.model = std::move(model);
  task.sizes = fmt::format("{} train / {} val words, {} symbols", train.dim(0), val.dim(0),
                           vocabulary.size());
  task.input = {"words", tg::Tensor(), 1.0};
  // The labels are unused: the targets are the next symbols of x.
  task.data = {train, tg::Labels(static_cast<std::size_t>(train.dim(0)), 0), val,
               tg::Labels(static_cast<std::size_t>(val.dim(0)), 0)};
  fmt::print(
      "baselines on the validation words: unigram {:.4f}, bigram {:.4f} bits per character "
      "({} characters and word ends)\n",
      baselines.unigram, baselines.bigram, baselines.symbols);
  task.evaluate = [language_model, val, baselines](tg::Solver& trainer) {
    const double bits = language_model->bits_per_symbol(val);
    fmt::print(
        "validation: {:.4f} bits per character (unigram {:.4f}, bigram {:.4f}); next-character "
        "accuracy {:.4f}\n",
        bits, baselines.unigram, baselines.bigram, trainer.best_val_acc());
    return tg::Json{{"val_bits_per_char", bits},
                    {"unigram_bits_per_char", baselines.unigram},
                    {"bigram_bits_per_char", baselines.bigram}};
  };
  return task;
}

std::string default_run_folder(const tg::TrainFlags& flags) {
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
  // The language model reads a word list, not --data's images.
  const std::string data = flags.model == "charlm" ? "words" : flags.data;
  return tg::from_user_folder(fmt::format("runs/{}-{}-{}", data, flags.model, stamp));
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

// A data-parallel run's checkpoint to resume from: rank 0 reads it from the
// run folder and sends its bytes to the others (whose nodes need not see the
// folder).
tg::Checkpoint shared_checkpoint(tg::Replicas& replicas, const std::optional<tg::Checkpoint>& mine,
                                 const std::string& source) {
  const std::string bytes = replicas.broadcast(mine ? mine->serialize() : std::string());
  return tg::Checkpoint::parse(source, bytes);
}

// Tests only (//tests:mpi_train_test): the process of rank
// TAPEGRAD_TEST_PERTURB_RANK adds 1e-3 to its first parameter's first value
// before training (one ulp can be rounded away by the updates that follow), to show that the
// end-of-epoch checksums catch it.
void perturb_for_test(tg::Replicas* replicas, tg::Module& model) {
  const char* rank = std::getenv("TAPEGRAD_TEST_PERTURB_RANK");
  if (replicas == nullptr || rank == nullptr || std::atoi(rank) != replicas->rank()) return;
  tg::Tensor w = model.parameters().front().value();
  tg::dispatch(w.dtype(), [&](auto zero) {
    using T = decltype(zero);
    w.data<T>()[0] += T(1e-3);
  });
  w.mark_modified();
}

int run(const tg::TrainCommandLine& command_line, tg::Replicas* replicas) {
  const auto started = std::chrono::steady_clock::now();
  const bool leader = replicas == nullptr || replicas->rank() == 0;  // writes the run folder
  const int processes = replicas != nullptr ? replicas->size() : 1;
  const std::string out = tg::from_user_folder(command_line.out());
  tg::RunFolder folder;
  std::optional<tg::Checkpoint> checkpoint;
  tg::TrainFlags flags;
  if (!command_line.resume().empty()) {
    if (command_line.overwrite()) {
      throw tg::ArgumentError("--overwrite starts a new run; --resume continues one: give one");
    }
    const std::string path = tg::from_user_folder(command_line.resume());
    if (leader) {
      folder = tg::open_run_to_resume(path);
      if (!out.empty() && !same_folder(out, folder.path)) {
        throw tg::ArgumentError(
            fmt::format("--out {}: a resumed run stays in its folder {}", out, folder.path));
      }
      checkpoint = tg::Checkpoint::load(tg::path_in_folder(folder.path, tg::kCheckpointFile));
    }
    if (replicas != nullptr) {
      checkpoint =
          shared_checkpoint(*replicas, checkpoint, tg::path_in_folder(path, tg::kCheckpointFile));
    }
    flags = command_line.continue_run(recorded_flags(*checkpoint, path));
  } else {
    flags = command_line.new_run();
    if (!out.empty() && leader) tg::check_new_run_folder(out, command_line.overwrite());
  }
  tg::finish_flags(flags);
  if (flags.batch_size % processes != 0) {
    throw tg::ArgumentError(fmt::format(
        "--batch-size {} is not divisible by the {} processes of this run: --batch-size is the "
        "global batch, split evenly over the processes; give a multiple of {}",
        flags.batch_size, processes, processes));
  }
  omp_set_num_threads(static_cast<int>(flags.threads));

  Task task = flags.model == "charlm" ? charlm_task(flags) : image_task(flags);
  task.model->set_detect_anomaly(flags.detect_anomaly);
  if (flags.sync_batchnorm) task.model->set_batchnorm_replicas(replicas);
  // (In a data-parallel run the processes agree on a stop inside training,
  // at the same iteration: one process stopping here alone would leave the
  // others waiting.)
  if (replicas == nullptr && tg::stop_signal() != 0) {
    fmt::print("stopped before training started\n");
    return tg::exit_status_for(tg::stop_signal());
  }
  if (!checkpoint && leader) {
    folder = tg::open_new_run_folder(out, default_run_folder(flags), command_line.overwrite());
  }
  if (const std::size_t removed = leader ? tg::remove_stale_run_temporaries(folder.path) : 0) {
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
  options.clip_grad_norm = flags.clip_grad_norm;
  options.verbose = false;
  options.num_train_samples = 5000;
  options.checkpoint_dir = folder.path;
  options.checkpoint_every = flags.checkpoint_every;
  options.divergence_factor = flags.divergence_factor;
  options.seed = flags.seed;
  options.title = fmt::format("{} on {}", task.model->name(), task.data_title);
  options.model_input = task.input;  // saved in model.tgm
  options.extra_config = {{"train_flags", tg::flags_to_json(flags)}};
  options.replicas = replicas;
  tg::ProgressDisplay progress(stdout, isatty(fileno(stdout)) != 0, flags.epochs,
                               flags.model == "charlm" ? "words" : "img");
  options.on_step = [&](const tg::StepInfo& step) { progress.step(step); };
  options.on_epoch = [&](const tg::EpochRecord& record, bool best) {
    progress.epoch(record, best);
  };
  options.stop_requested = [] { return tg::stop_signal() != 0; };
  tg::Solver trainer(*task.model, task.data, options);
  if (checkpoint) {
    trainer.load_checkpoint(*checkpoint);
    checkpoint.reset();
    fmt::print("resumed from {} at iteration {} (epoch {})\n", folder.path, trainer.iteration(),
               trainer.epoch());
    if (trainer.iteration() == flags.epochs * trainer.iterations_per_epoch()) {
      fmt::print("the run has done its {} epochs: give more --epochs to train on\n", flags.epochs);
    }
  }
  perturb_for_test(replicas, *task.model);
  const bool normalized = flags.model == "cnn" || flags.model == "fc";
  fmt::print("{}{} on {}: {}, {}, batch {}, {} epoch{}, {} threads\n", task.model->name(),
             !normalized          ? ""
             : flags.no_batchnorm ? " (no batch norm)"
                                  : " (batch norm)",
             task.data_title, task.sizes, trainer.optimizer().rule(), flags.batch_size,
             flags.epochs, flags.epochs == 1 ? "" : "s", flags.threads);
  if (processes > 1) {
    fmt::print("data-parallel: {} processes of {} {} each per batch{}\n", processes,
               flags.batch_size / processes, flags.model == "charlm" ? "words" : "images",
               flags.sync_batchnorm ? ", batch norm synchronised" : "");
  }
  fmt::print("run folder: {}\n", folder.path);
  std::fflush(stdout);

  const tg::TrainEnd end = trainer.train();
  progress.finish();
  if (end == tg::TrainEnd::stopped) {
    fmt::print("stopped at iteration {}; continue with: train --resume {}\n", trainer.iteration(),
               folder.path);
    // A process of a data-parallel run may stop because another one got the
    // signal: it exits as for a Ctrl-C.
    return tg::exit_status_for(tg::stop_signal() != 0 ? tg::stop_signal() : SIGINT);
  }
  tg::Json summary = task.evaluate(trainer);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  summary["total_seconds"] = seconds;
  if (leader) trainer.write_run_files(summary);
  fmt::print("{} in all\n", tg::format_duration(seconds));
  fmt::print(
      "run folder: {}  (curves.svg, history.csv, epochs.csv, history.json, checkpoint.tgck, "
      "model.tgm, params/)\n",
      folder.path);
  return 0;
}

// run(), its errors printed ("train: ...") as an exit status. In a
// data-parallel run the errors every process meets alike (flags, numbers,
// disagreeing processes) are printed by rank 0; the others leave theirs in
// `unprinted`.
int run_reporting_errors(const tg::TrainCommandLine& command_line, tg::Replicas* replicas,
                         std::string& unprinted) {
  const int rank = replicas != nullptr ? replicas->rank() : 0;
  const auto report = [&](const std::string& text) {
    if (rank == 0) {
      fmt::print(stderr, "\ntrain: {}\n", text);
    } else {
      unprinted = text;
    }
  };
  try {
    return run(command_line, replicas);
  } catch (const tg::ArgumentError& error) {
    report(error.what());
    return 2;
  } catch (const tg::NumericError& error) {
    report(fmt::format(
        "{}\n(lower --lr; --divergence-factor sets the divergence guard, 0 turns it off)",
        error.what()));
    return 1;
  } catch (const tg::ReplicaError& error) {
    report(error.what());
    return 1;
  } catch (const std::exception& error) {
    fmt::print(stderr, "\ntrain{}: {}\n", rank == 0 ? "" : fmt::format(" (rank {})", rank),
               error.what());
    return 1;
  }
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
  // Under mpirun or srun: one process of a data-parallel run. Otherwise MPI
  // is never initialised and the run is the single-process one.
  std::unique_ptr<tg::MpiReplicas> replicas;
  if (tg::launched_by_mpi()) {
    replicas = std::make_unique<tg::MpiReplicas>(&argc, &argv);
    if (replicas->rank() != 0 && std::freopen("/dev/null", "w", stdout) == nullptr) {
      return 1;  // only rank 0 prints
    }
  }
  tg::install_stop_handlers();
  std::string unprinted;
  const int status = run_reporting_errors(command_line, replicas.get(), unprinted);
  // A stop (Ctrl-C, SIGTERM) ends every process at the same iteration, after
  // rank 0 wrote the checkpoint: they finish normally. After an error on one
  // process the others may wait for it in a collective: end them all
  // (mpirun reports the abort). An error rank 0 reports too leaves it 3 s to
  // print it and abort first; after that this process prints it itself.
  const bool stopped =
      status == tg::exit_status_for(SIGINT) || status == tg::exit_status_for(SIGTERM);
  if (status != 0 && !stopped && replicas != nullptr && replicas->size() > 1) {
    std::fflush(stdout);
    if (!unprinted.empty()) {
      std::this_thread::sleep_for(std::chrono::seconds(3));
      fmt::print(stderr, "\ntrain (rank {}): {}\n", replicas->rank(), unprinted);
    }
    std::fflush(stderr);
    replicas->abort(status);
  }
  return status;
}
