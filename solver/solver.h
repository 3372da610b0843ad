// Solver: trains a model the way the seed's cs231n Solver does. Minibatches
// are sampled at random (with replacement) from an explicit seeded
// generator; every step takes its schedule's learning rate (optim/schedule.h);
// after every epoch the accuracy is measured on a sample of the training set
// and on the whole validation set (the plateau schedule sees the latter), and
// the best parameters (by validation accuracy) are kept and restored at the
// end. With a run folder it also writes a checkpoint and then the loss curves
// (history.csv, epochs.csv, history.json, curves.svg) after every epoch, from
// which resume() continues bit for bit. The learning rate of a step depends
// on the step and the schedule's state only (not on the rate before it), so
// a run continued with more epochs (not cosine) is the longer run exactly.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "distributed/replicas.h"
#include "graph/labels.h"
#include "graph/rng.h"
#include "graph/tensor.h"
#include "io/checkpoint.h"
#include "models/input_spec.h"
#include "nn/module.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"
#include "report/history.h"
#include "report/json.h"

namespace tg {

// The checkpoint's name in a run folder.
inline constexpr const char* kCheckpointFile = "checkpoint.tgck";

// The seed's data dict: training and validation images (N, ...) and labels.
struct SolverData {
  Tensor X_train;
  Labels y_train;
  Tensor X_val;
  Labels y_val;
};

// Reported after every iteration (for progress bars).
struct StepInfo {
  std::int64_t iteration;       // counted from 1
  std::int64_t num_iterations;  // of the whole run
  std::int64_t iterations_per_epoch;
  double epoch;  // fractional
  double loss;
  double learning_rate;
  double seconds;                // since train() started (or resumed)
  std::int64_t examples;         // trained on since train() started
  std::int64_t first_iteration;  // the iteration count when train() started (0, or a resume's)
};

// How train() ended.
enum class TrainEnd {
  finished,  // all num_epochs epochs done; the best parameters restored
  stopped,   // stop_requested() said so: checkpoint and run files written
};

struct SolverOptions {
  std::string update_rule = "sgd";
  OptimConfig optim_config;
  // The learning rate's schedule and warm-up (optim/schedule.h), from
  // optim_config.learning_rate; by default the seed's step schedule.
  ScheduleOptions schedule;
  std::int64_t batch_size = 100;
  std::int64_t num_epochs = 10;
  // > 0: before each update the gradients are clipped to this global L2
  // norm (optim/clip.h); 0: no clipping.
  double clip_grad_norm = 0.0;
  std::int64_t print_every = 10;  // iterations between printed losses (verbose)
  bool verbose = true;
  std::int64_t num_train_samples = 1000;  // training examples to measure accuracy on; 0: all
  std::int64_t num_val_samples = 0;       // validation examples; 0: all
  std::int64_t eval_batch_size = 100;
  // The run folder (created if needed): run files after every epoch and the
  // checkpoint. Empty: nothing is written.
  std::string checkpoint_dir;
  // Also checkpoint every this many iterations (0: at the end of epochs only).
  std::int64_t checkpoint_every = 0;
  // The divergence guard: train() stops with NumericError, as for a NaN loss,
  // when a loss is more than this many times the run's first loss (0: never).
  double divergence_factor = 100.0;
  std::uint64_t seed = 0;  // minibatch sampling and accuracy samples
  // Recorded in history.json next to the options (data set, model options...).
  Json extra_config = Json::object();
  std::string title;  // of curves.svg
  // How the training images were prepared (data set, mean image, scale):
  // saved with the best parameters in model.tgm and params/ at the end.
  InputSpec model_input;
  // Data parallelism (graph/replicas.h; distributed/ runs it on MPI): the
  // processes that train this model together, or null for this process
  // alone. batch_size is then the global batch: each step every process
  // draws the same batch_size rows from the seed and trains on its slice
  // (batch_size / size() rows, in rank order); the gradients are averaged
  // over the processes in rank order and every process makes the same
  // update. The loss recorded is the mean of the processes' losses. Only
  // rank 0 writes files (the others ignore checkpoint_dir) and calls
  // on_step / on_epoch. Buffers (batch norm's running statistics) are rank
  // 0's: copied to every process at the end of each epoch, after which the
  // processes compare checksums of their parameters and buffers
  // (ReplicaError naming the ranks that differ from rank 0). A stop
  // requested on any process stops all of them at the same iteration.
  Replicas* replicas = nullptr;
  // With replicas: the gradients are averaged in buckets of about this many
  // bytes, each started (non-blocking) as soon as backward has completed its
  // parameters, overlapping the rest of backward (OverlappedAverage, as
  // PyTorch's DDP); 0: in one exchange after backward
  // (average_in_rank_order). The same bits either way.
  std::size_t bucket_bytes = std::size_t{1} << 20;
  // Passed to every training loss() (nn/module.h's LossOptions): NaN and
  // infinity checks on every op; sync batch norm's sums over the processes.
  bool detect_anomaly = false;
  BatchStatisticsSum* batchnorm_sync = nullptr;
  std::function<void(const StepInfo&)> on_step;
  std::function<void(const EpochRecord&, bool is_best)> on_epoch;
  // Asked before every iteration; true ends train() there (TrainEnd::stopped)
  // after writing the checkpoint, then the run files. E.g. after Ctrl-C.
  std::function<bool()> stop_requested;
};

class Solver {
 public:
  // Validates the options and data (ArgumentError naming the option).
  Solver(Module& model, SolverData data, SolverOptions options);

  // Trains until num_epochs (from the start, or from where resume() left
  // off), then restores the best parameters; or until stop_requested().
  // Throws NumericError naming the iteration and the first parameter with a
  // non-finite gradient when the loss or a gradient turns NaN or infinite,
  // or when the loss passes the divergence guard; the last checkpoint and
  // run files are left as they were.
  TrainEnd train();

  // Loads a checkpoint written by this Solver's kind of run: parameters,
  // buffers, optimizer and solver state, histories and the generators.
  // Throws FileError naming the file for another model, shapes that differ,
  // a setting that differs from the run's (update rule and its settings,
  // learning rate and schedule settings, batch size, data sizes, seed, reg: the
  // message names it and both values), fewer epochs than the run's (or
  // more with the cosine schedule, which spans the run's epochs), and for a
  // checkpoint of an earlier tapegrad that lacks the run's settings.
  void resume(const std::string& checkpoint_path);

  // The fraction of right predictions (Module::count_correct: for a
  // classifier, the examples whose highest score is the label; for a
  // language model, its predicted steps), evaluated in batches in evaluation
  // mode; on num_samples examples drawn at random when 0 < num_samples < N.
  double check_accuracy(const Tensor& X, const Labels& y, std::int64_t num_samples = 0);

  const History& history() const { return history_; }
  std::vector<double> loss_history() const;
  std::vector<double> train_acc_history() const;
  std::vector<double> val_acc_history() const;
  double best_val_acc() const { return best_val_acc_; }
  std::int64_t iteration() const { return iteration_; }
  std::int64_t epoch() const { return epoch_; }
  std::int64_t iterations_per_epoch() const;
  // <checkpoint_dir>/checkpoint.tgck
  std::string checkpoint_path() const;
  const Optimizer& optimizer() const { return *optimizer_; }
  const SolverOptions& options() const { return options_; }

  // The whole training state as a checkpoint, and back (see solver_state.cc
  // for the entries; load_checkpoint checks as resume() does).
  Checkpoint to_checkpoint() const;
  void load_checkpoint(const Checkpoint& checkpoint);

  // Rewrites the run folder's files (train() does after every epoch), with
  // more summary fields for history.json, e.g. the test accuracy.
  void write_run_files(const Json& summary = Json::object()) const;
  // The run's configuration as history.json records it.
  Json config() const;

 private:
  void step();
  void end_epoch(double epoch_seconds);
  void keep_best();
  void restore_best();
  void save_checkpoint() const;
  // The settings of every training loss() call (detect_anomaly, batchnorm_sync).
  LossOptions loss_options() const;
  void check_divergence(double loss) const;
  bool stop_requested() const;
  // solver_replicas.cc: data parallelism.
  double loss_with_overlapped_average(const Tensor& x, const Labels& y);
  void average_gradients(double& loss);
  void check_replicas_agree();
  [[noreturn]] void fail_diverged(const std::string& why) const;

  Module& model_;
  SolverData data_;
  SolverOptions options_;
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<LrSchedule> schedule_;
  double initial_lr_;
  Rng rng_;  // minibatches and accuracy samples
  History history_;
  std::int64_t iteration_ = 0;
  std::int64_t epoch_ = 0;
  double best_val_acc_ = -1.0;
  std::vector<Tensor> best_parameters_;  // in parameters() order
  std::vector<Tensor> best_buffers_;     // in buffers() order
};

// The configuration (Solver::config()) the run that wrote `checkpoint`
// recorded. Throws FileError naming the file for a checkpoint of an earlier
// tapegrad, which did not record it.
Json recorded_config(const Checkpoint& checkpoint);

}  // namespace tg
