#include "solver/solver.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

#include "graph/errors.h"
#include "io/atomic_file.h"
#include "models/model_export.h"
#include "optim/clip.h"
#include "report/run_files.h"

namespace tg {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

template <class... Args>
[[noreturn]] void fail_option(std::string_view option, fmt::format_string<Args...> format,
                              Args&&... args) {
  throw ArgumentError(
      fmt::format("Solver: {}: {}", option, fmt::format(format, std::forward<Args>(args)...)));
}

void check_split(std::string_view name, const Tensor& x, const Labels& y) {
  if (!x.defined() || x.rank() < 2 || x.dim(0) == 0) {
    fail_option(name, "the images must be a non-empty tensor (N, ...), got {}",
                x.defined() ? x.shape().str() : "undefined");
  }
  if (static_cast<std::int64_t>(y.size()) != x.dim(0)) {
    fail_option(name, "{} images but {} labels", x.dim(0), y.size());
  }
}

void check_options(const SolverOptions& o) {
  if (o.batch_size < 1) fail_option("batch_size", "must be positive, got {}", o.batch_size);
  if (!(o.clip_grad_norm >= 0) || !std::isfinite(o.clip_grad_norm)) {
    fail_option("clip_grad_norm", "must be a finite number >= 0 (0: off), got {}",
                o.clip_grad_norm);
  }
  if (o.num_epochs < 0) fail_option("num_epochs", "must be >= 0, got {}", o.num_epochs);
  if (o.print_every < 1) fail_option("print_every", "must be positive, got {}", o.print_every);
  if (o.num_train_samples < 0) {
    fail_option("num_train_samples", "must be >= 0 (0: all), got {}", o.num_train_samples);
  }
  if (o.num_val_samples < 0) {
    fail_option("num_val_samples", "must be >= 0 (0: all), got {}", o.num_val_samples);
  }
  if (o.eval_batch_size < 1)
    fail_option("eval_batch_size", "must be positive, got {}", o.eval_batch_size);
  if (o.checkpoint_every < 0) {
    fail_option("checkpoint_every", "must be >= 0 (0: every epoch), got {}", o.checkpoint_every);
  }
  if (!(o.divergence_factor == 0 || o.divergence_factor > 1) ||
      !std::isfinite(o.divergence_factor)) {
    fail_option("divergence_factor", "must be 0 (no guard) or a finite number above 1, got {}",
                o.divergence_factor);
  }
}

}  // namespace

Solver::Solver(Module& model, SolverData data, SolverOptions options)
    : model_(model), data_(std::move(data)), options_(std::move(options)), rng_(options_.seed) {
  check_split("training data", data_.X_train, data_.y_train);
  check_split("validation data", data_.X_val, data_.y_val);
  check_options(options_);
  optimizer_ = make_optimizer(options_.update_rule, options_.optim_config);
  initial_lr_ = optimizer_->learning_rate();
  if (options_.replicas != nullptr) {
    const int processes = options_.replicas->size();
    if (options_.batch_size % processes != 0) {
      fail_option("batch_size",
                  "the global batch of {} is not divisible by the {} processes (each trains on "
                  "an equal slice of it)",
                  options_.batch_size, processes);
    }
    if (options_.replicas->rank() != 0) {  // only rank 0 writes files and reports
      options_.checkpoint_dir.clear();
      options_.on_step = nullptr;
      options_.on_epoch = nullptr;
      options_.verbose = false;
    }
  }
  if (options_.num_epochs > std::numeric_limits<std::int64_t>::max() / iterations_per_epoch()) {
    fail_option("num_epochs", "{} epochs of {} iterations are more iterations than 2^63 - 1",
                options_.num_epochs, iterations_per_epoch());
  }
  const std::int64_t total =
      std::max<std::int64_t>(options_.num_epochs, 1) * iterations_per_epoch();
  schedule_ = make_schedule(options_.schedule, {initial_lr_, iterations_per_epoch(), total});
}

std::int64_t Solver::iterations_per_epoch() const {
  return std::max<std::int64_t>(data_.X_train.dim(0) / options_.batch_size, 1);
}

std::string Solver::checkpoint_path() const {
  return options_.checkpoint_dir.empty() ? std::string()
                                         : path_in_folder(options_.checkpoint_dir, kCheckpointFile);
}

TrainEnd Solver::train() {
  if (!options_.checkpoint_dir.empty()) {
    create_folders(options_.checkpoint_dir);
  }
  const std::int64_t per_epoch = iterations_per_epoch();
  const std::int64_t total = options_.num_epochs * per_epoch;
  const Clock::time_point start = Clock::now();
  Clock::time_point epoch_start = start;
  std::int64_t examples = 0;
  const std::int64_t first_iteration = iteration_;
  const std::int64_t first_epoch = epoch_;
  model_.train();
  // From the first moment on, a run folder holds a checkpoint to resume from.
  if (!options_.checkpoint_dir.empty() && iteration_ == 0) save_checkpoint();
  while (iteration_ < total) {
    if (stop_requested()) {
      if (!options_.checkpoint_dir.empty()) {
        save_checkpoint();  // first: the run files never claim more than it holds
        write_run_files();
      }
      return TrainEnd::stopped;
    }
    step();
    examples += options_.batch_size;
    const IterationRecord& last = history_.iterations.back();
    if (options_.on_step) {
      options_.on_step({iteration_, total, per_epoch, last.epoch, last.loss, last.lr,
                        seconds_since(start), examples, first_iteration});
    }
    if (options_.verbose && iteration_ % options_.print_every == 0) {
      fmt::print("(Iteration {} / {}) loss: {:.6f}\n", iteration_, total, last.loss);
    }
    if (iteration_ % per_epoch == 0) {
      end_epoch(seconds_since(epoch_start));
      epoch_start = Clock::now();
    } else if (options_.checkpoint_every > 0 && iteration_ % options_.checkpoint_every == 0) {
      save_checkpoint();
    }
  }
  restore_best();
  if (!options_.checkpoint_dir.empty()) {
    write_model_files(options_.checkpoint_dir, model_, options_.model_input);  // model.tgm, params/
    if (epoch_ == first_epoch) write_run_files();  // else the last end_epoch() wrote them
  }
  return TrainEnd::finished;
}

void Solver::step() {
  // The schedule's rate for this step (not carried over from the last step:
  // a run continued with more epochs then goes on exactly as a longer run
  // would have).
  optimizer_->set_learning_rate(schedule_->learning_rate(iteration_));
  std::vector<std::int64_t> rows = rng_.choice(data_.X_train.dim(0), options_.batch_size);
  if (options_.replicas != nullptr) {  // this process's slice of the global batch
    const std::int64_t slice = options_.batch_size / options_.replicas->size();
    const auto first = rows.begin() + slice * options_.replicas->rank();
    rows = std::vector<std::int64_t>(first, first + slice);
  }
  Labels labels(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) labels[i] = data_.y_train[rows[i]];
  model_.zero_grad();
  double loss = 0;
  if (options_.replicas != nullptr && options_.bucket_bytes > 0) {
    loss = loss_with_overlapped_average(take_rows(data_.X_train, rows), labels);
  } else {
    loss = model_.loss(take_rows(data_.X_train, rows), labels, loss_options());
    if (options_.replicas != nullptr) average_gradients(loss);
  }
  const std::vector<Parameter> parameters = model_.parameters();  // one walk of the tree
  std::string non_finite_grad;  // the first parameter with one
  for (const Parameter& p : parameters) {
    if (first_non_finite(p.grad()) >= 0) {
      non_finite_grad = p.name();
      break;
    }
  }
  if (!std::isfinite(loss) || !non_finite_grad.empty()) {
    fail_diverged(
        fmt::format("the loss is {}; first parameter with a non-finite gradient: {}", loss,
                    non_finite_grad.empty() ? "none (all gradients are finite)" : non_finite_grad));
  }
  check_divergence(loss);
  if (options_.clip_grad_norm > 0) clip_grad_norm(parameters, options_.clip_grad_norm);
  const double lr = optimizer_->learning_rate();
  optimizer_->step(parameters);
  ++iteration_;
  const double epoch =
      static_cast<double>(iteration_) / static_cast<double>(iterations_per_epoch());
  history_.iterations.push_back({iteration_, epoch, loss, lr});
}

LossOptions Solver::loss_options() const {
  LossOptions options;
  options.detect_anomaly = options_.detect_anomaly;
  options.batchnorm_sync = options_.batchnorm_sync;
  return options;
}

void Solver::check_divergence(double loss) const {
  if (options_.divergence_factor == 0 || history_.iterations.empty()) return;
  const double first = history_.iterations.front().loss;
  if (first > 0 && loss > options_.divergence_factor * first) {
    fail_diverged(
        fmt::format("the loss {:.6g} is more than {:g} times the first "
                    "iteration's loss {:.6g} (divergence_factor)",
                    loss, options_.divergence_factor, first));
  }
}

void Solver::fail_diverged(const std::string& why) const {
  const std::string kept = checkpoint_path().empty()
                               ? std::string("no checkpoint was asked for")
                               : fmt::format("the last good checkpoint is {}", checkpoint_path());
  throw NumericError(fmt::format(
      "Solver: training diverged at iteration {} (epoch {:.2f}): {}; {}", iteration_ + 1,
      static_cast<double>(iteration_ + 1) / static_cast<double>(iterations_per_epoch()), why,
      kept));
}

void Solver::end_epoch(double epoch_seconds) {
  ++epoch_;
  if (options_.replicas != nullptr) check_replicas_agree();
  const Clock::time_point start = Clock::now();
  const double train_acc = check_accuracy(data_.X_train, data_.y_train, options_.num_train_samples);
  const double val_acc = check_accuracy(data_.X_val, data_.y_val, options_.num_val_samples);
  schedule_->on_epoch_end(val_acc);  // before the checkpoint, which saves its state
  const EpochRecord record{epoch_, train_acc, val_acc, history_.iterations.back().lr,
                           epoch_seconds + seconds_since(start)};
  history_.epochs.push_back(record);
  const bool is_best = val_acc > best_val_acc_;
  if (is_best) keep_best();
  if (options_.verbose) {
    fmt::print("(Epoch {} / {}) train acc: {:.4f}; val_acc: {:.4f}\n", epoch_, options_.num_epochs,
               train_acc, val_acc);
  }
  if (options_.on_epoch) options_.on_epoch(record, is_best);
  if (!options_.checkpoint_dir.empty()) {
    save_checkpoint();  // first: the run files never claim more than it holds
    write_run_files();
  }
}

double Solver::check_accuracy(const Tensor& X, const Labels& y, std::int64_t num_samples) {
  check_split("check_accuracy", X, y);
  const std::int64_t n = X.dim(0);
  std::vector<std::int64_t> rows;
  if (num_samples > 0 && num_samples < n) {
    rows = rng_.choice(n, num_samples);
  } else {
    rows.resize(static_cast<std::size_t>(n));
    std::iota(rows.begin(), rows.end(), std::int64_t{0});
  }
  // scores() evaluates every layer in evaluation mode and restores each
  // module's own mode afterwards.
  Module::Predictions all;
  for (std::size_t begin = 0; begin < rows.size(); begin += options_.eval_batch_size) {
    const std::size_t end = std::min(rows.size(), begin + options_.eval_batch_size);
    const std::vector<std::int64_t> batch(rows.begin() + begin, rows.begin() + end);
    const Tensor x = take_rows(X, batch);
    Labels labels(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) labels[i] = y[batch[i]];
    const Module::Predictions counted = model_.count_correct(model_.scores(x), x, labels);
    all.correct += counted.correct;
    all.total += counted.total;
  }
  return all.total == 0 ? 0.0 : static_cast<double>(all.correct) / static_cast<double>(all.total);
}

void Solver::keep_best() {
  best_val_acc_ = history_.epochs.back().val_acc;
  best_parameters_.clear();
  for (const Parameter& p : model_.parameters()) best_parameters_.push_back(p.value().clone());
  best_buffers_.clear();
  for (const NamedTensor& b : model_.buffers()) best_buffers_.push_back(b.tensor->clone());
}

void Solver::restore_best() {
  if (best_parameters_.empty()) return;
  const std::vector<Parameter> parameters = model_.parameters();  // one walk of the tree
  const std::vector<NamedTensor> buffers = model_.buffers();
  for (std::size_t i = 0; i < best_parameters_.size(); ++i) {
    parameters[i].value().copy_(best_parameters_[i]);
  }
  for (std::size_t i = 0; i < best_buffers_.size(); ++i) buffers[i].tensor->copy_(best_buffers_[i]);
}

std::vector<double> Solver::loss_history() const {
  std::vector<double> out;
  for (const IterationRecord& r : history_.iterations) out.push_back(r.loss);
  return out;
}

std::vector<double> Solver::train_acc_history() const {
  std::vector<double> out;
  for (const EpochRecord& r : history_.epochs) out.push_back(r.train_acc);
  return out;
}

std::vector<double> Solver::val_acc_history() const {
  std::vector<double> out;
  for (const EpochRecord& r : history_.epochs) out.push_back(r.val_acc);
  return out;
}

Json Solver::config() const {
  Json c = {{"model", model_.type()},
            {"update_rule", options_.update_rule},
            {"learning_rate", initial_lr_},
            {"lr_schedule", name_of(options_.schedule.kind)},
            {"lr_decay", options_.schedule.lr_decay},
            {"warmup_steps", options_.schedule.warmup_steps},
            {"plateau_factor", options_.schedule.plateau_factor},
            {"plateau_patience", options_.schedule.plateau_patience},
            {"batch_size", options_.batch_size},
            {"clip_grad_norm", options_.clip_grad_norm},
            {"num_epochs", options_.num_epochs},
            {"reg", model_.reg()},
            {"num_train", data_.X_train.dim(0)},
            {"num_val", data_.X_val.dim(0)},
            {"seed", static_cast<std::int64_t>(options_.seed)},
            {"min_lr", options_.schedule.min_lr},
            {"optim_config",
             {{"momentum", options_.optim_config.momentum},
              {"decay_rate", options_.optim_config.decay_rate},
              {"beta1", options_.optim_config.beta1},
              {"beta2", options_.optim_config.beta2},
              {"epsilon", options_.optim_config.epsilon},
              {"weight_decay", options_.optim_config.weight_decay}}},
            {"num_train_samples", options_.num_train_samples},
            {"num_val_samples", options_.num_val_samples},
            {"divergence_factor", options_.divergence_factor},
            {"processes", options_.replicas != nullptr ? options_.replicas->size() : 1}};
  c.update(options_.extra_config);
  return c;
}

void Solver::write_run_files(const Json& summary) const {
  RunFilesOptions files;
  files.title = options_.title;
  files.summary = {{"iterations_done", iteration_}, {"epochs_done", epoch_}};
  files.summary.update(summary);
  tg::write_run_files(options_.checkpoint_dir, history_, config(), files);
}

void Solver::save_checkpoint() const {
  if (!options_.checkpoint_dir.empty()) to_checkpoint().save(checkpoint_path());
}

}  // namespace tg
