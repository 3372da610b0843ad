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
#include "apps/usage_error.h"
#include "apps/train.h"

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

#include "apps/progress.h"
#include "apps/run_folder.h"
#include "apps/stop_signals.h"
#include "apps/train_flags.h"
#include "apps/train_task.h"
#include "apps/user_path.h"
#include "distributed/mpi_replicas.h"
#include "distributed/sync_batchnorm.h"
#include "graph/errors.h"
#include "graph/memory.h"
#include "io/checkpoint.h"
#include "report/run_files.h"
#include "solver/solver.h"

namespace {

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

// Tests only (//tests/distributed:mpi_train_test): the process of rank
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
    flags = command_line.continue_run(tg::recorded_flags(*checkpoint, path));
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

  tg::Task task = flags.model == "charlm" ? tg::charlm_task(flags) : tg::image_task(flags);
  std::optional<tg::ReplicaStatisticsSum> batchnorm_sync;
  if (flags.sync_batchnorm && replicas != nullptr) batchnorm_sync.emplace(*replicas);
  // (In a data-parallel run the processes agree on a stop inside training,
  // at the same iteration: one process stopping here alone would leave the
  // others waiting.)
  if (replicas == nullptr && tg::stop_signal() != 0) {
    fmt::print("stopped before training started\n");
    return tg::exit_status_for(tg::stop_signal());
  }
  if (!checkpoint && leader) {
    folder = tg::open_new_run_folder(out, tg::default_run_folder(flags), command_line.overwrite());
  }
  if (const std::size_t removed = leader ? tg::remove_stale_run_temporaries(folder.path) : 0) {
    fmt::print("removed {} temporary file{} of interrupted writes from {}\n", removed,
               removed == 1 ? "" : "s", folder.path);
  }

  tg::SolverOptions options;
  options.update_rule = flags.optimizer;
  options.optim_config.learning_rate = flags.lr;
  options.schedule.kind = tg::parse_schedule_kind(flags.lr_schedule);
  options.schedule.lr_decay = flags.lr_decay;
  options.schedule.min_lr = flags.min_lr;
  options.schedule.plateau_factor = flags.plateau_factor;
  options.schedule.plateau_patience = flags.plateau_patience;
  options.schedule.warmup_steps = flags.warmup_steps;
  options.batch_size = flags.batch_size;
  options.num_epochs = flags.epochs;
  options.clip_grad_norm = flags.clip_grad_norm;
  options.verbose = false;
  options.num_train_samples = 5000;
  options.checkpoint_dir = folder.path;
  options.checkpoint_every = flags.checkpoint_every;
  options.divergence_factor = flags.divergence_factor;
  options.seed = flags.seed;
  options.title = fmt::format("{} on {}", task.model->type(), task.data_title);
  options.model_input = task.input;  // saved in model.tgm
  options.extra_config = {{"train_flags", tg::flags_to_json(flags)}};
  options.replicas = replicas;
  options.detect_anomaly = flags.detect_anomaly;
  if (batchnorm_sync) options.batchnorm_sync = &*batchnorm_sync;
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
  fmt::print("{}{} on {}: {}, {}, batch {}, {} epoch{}, {} threads\n", task.model->type(),
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

int tg::train_main(int argc, char** argv) {
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
    return usage_error(app, error, "train");
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
