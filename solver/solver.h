// Solver: trains a model the way the seed's cs231n Solver does. Minibatches
// are sampled at random (with replacement) from an explicit seeded
// generator; after every epoch the learning rate follows its schedule, the
// accuracy is measured on a sample of the training set and on the whole
// validation set, and the best parameters (by validation accuracy) are kept
// and restored at the end. With a run folder it also writes the loss curves
// (history.csv, epochs.csv, history.json, curves.svg) and a checkpoint after
// every epoch, from which resume() continues bit for bit.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "graph/labels.h"
#include "graph/rng.h"
#include "graph/tensor.h"
#include "io/checkpoint.h"
#include "models/input_spec.h"
#include "models/module.h"
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

struct SolverOptions {
  std::string update_rule = "sgd";
  OptimConfig optim_config;
  double lr_decay = 1.0;  // the step schedule's factor per epoch
  LrSchedule::Kind lr_schedule = LrSchedule::Kind::step;
  double min_lr = 0.0;  // the cosine schedule's floor
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
  std::uint64_t seed = 0;  // minibatch sampling and accuracy samples
  // Recorded in history.json next to the options (data set, model options...).
  Json extra_config = Json::object();
  std::string title;  // of curves.svg
  // How the training images were prepared (data set, mean image, scale):
  // saved with the best parameters in model.tgm and params/ at the end.
  InputSpec model_input;
  std::function<void(const StepInfo&)> on_step;
  std::function<void(const EpochRecord&, bool is_best)> on_epoch;
};

class Solver {
 public:
  // Validates the options and data (ArgumentError naming the option).
  Solver(Module& model, SolverData data, SolverOptions options);

  // Trains until num_epochs (from the start, or from where resume() left
  // off), then restores the best parameters. Throws NumericError naming the
  // iteration and the first parameter with a non-finite gradient when the
  // loss or a gradient turns NaN or infinite; the last checkpoint and run
  // files are left as they were.
  void train();

  // Loads a checkpoint written by this Solver's kind of run: parameters,
  // buffers, optimizer and solver state, histories and the generators.
  // Throws FileError naming the file for another model, shapes that differ
  // or another batch size.
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

  // The whole training state as a checkpoint, and back.
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
  [[noreturn]] void fail_non_finite(double loss, const std::string& non_finite_grad) const;

  Module& model_;
  SolverData data_;
  SolverOptions options_;
  std::unique_ptr<Optimizer> optimizer_;
  LrSchedule schedule_;
  double initial_lr_;
  Rng rng_;
  History history_;
  std::int64_t iteration_ = 0;
  std::int64_t epoch_ = 0;
  double best_val_acc_ = -1.0;
  std::vector<Tensor> best_parameters_;  // in parameters() order
  std::vector<Tensor> best_buffers_;     // in buffers() order
};

}  // namespace tg
