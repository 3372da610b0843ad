#include "optim/schedule.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "graph/errors.h"

namespace tg {
namespace {

template <class... Args>
[[noreturn]] void fail_setting(fmt::format_string<Args...> format, Args&&... args) {
  throw ArgumentError(fmt::format(format, std::forward<Args>(args)...));
}

class ConstantSchedule final : public LrSchedule {
 public:
  explicit ConstantSchedule(double lr) : lr_(lr) {}
  double learning_rate(std::int64_t) const override { return lr_; }

 private:
  double lr_;
};

// lr0 * decay^floor(s / steps_per_epoch), computed as the seed Solver did
// (the epoch as a double, then floor), so that runs keep their bits.
class StepSchedule final : public LrSchedule {
 public:
  StepSchedule(double lr0, double decay, std::int64_t steps_per_epoch)
      : lr0_(lr0), decay_(decay), steps_per_epoch_(steps_per_epoch) {}
  double learning_rate(std::int64_t step) const override {
    const double epoch = static_cast<double>(step) / static_cast<double>(steps_per_epoch_);
    return lr0_ * std::pow(decay_, std::floor(epoch));
  }

 private:
  double lr0_, decay_;
  std::int64_t steps_per_epoch_;
};

// min_lr + (lr0 - min_lr) (1 + cos(pi p)) / 2, p = (s - start) / (total - start)
// clamped to [0, 1]: lr0 until `start`, min_lr from step `total` on.
class CosineSchedule final : public LrSchedule {
 public:
  CosineSchedule(double lr0, double min_lr, std::int64_t start, std::int64_t total)
      : lr0_(lr0), min_lr_(min_lr), start_(start), total_(total) {}
  double learning_rate(std::int64_t step) const override {
    const double progress = std::clamp(
        static_cast<double>(step - start_) / static_cast<double>(total_ - start_), 0.0, 1.0);
    return min_lr_ + (lr0_ - min_lr_) * (1.0 + std::cos(M_PI * progress)) / 2.0;
  }

 private:
  double lr0_, min_lr_;
  std::int64_t start_, total_;
};

// Reduce on plateau, on validation accuracy (higher is better): the rate is
// cut by `factor` (down to min_lr) at the end of the `patience`-th epoch in a
// row without a new best; the count restarts after a cut.
class PlateauSchedule final : public LrSchedule {
 public:
  PlateauSchedule(double lr0, double factor, std::int64_t patience, double min_lr)
      : lr0_(lr0), factor_(factor), min_lr_(min_lr), patience_(patience), lr_(lr0) {}
  double learning_rate(std::int64_t) const override { return lr_; }
  void on_epoch_end(double val_acc) override {
    if (val_acc > best_) {
      best_ = val_acc;
      bad_epochs_ = 0;
    } else if (++bad_epochs_ >= patience_) {
      lr_ = std::max(lr_ * factor_, min_lr_);
      bad_epochs_ = 0;
    }
  }
  ScheduleState state() const override {
    return {{"lr", lr_}, {"best_val_acc", best_}, {"bad_epochs", static_cast<double>(bad_epochs_)}};
  }
  void load_state(const ScheduleState& state) override {
    const double lr = entry(state, "lr"), best = entry(state, "best_val_acc"),
                 bad = entry(state, "bad_epochs");
    if (!(lr >= min_lr_ && lr <= lr0_)) {
      fail_setting("plateau state: 'lr' must be from min_lr {} to the initial rate {}, got {}",
                   min_lr_, lr0_, lr);
    }
    if (!(best == -1 || (best >= 0 && best <= 1))) {
      fail_setting("plateau state: 'best_val_acc' must be -1 (no epoch yet) or in [0, 1], got {}",
                   best);
    }
    if (!(bad >= 0 && bad < static_cast<double>(patience_) && bad == std::floor(bad))) {
      fail_setting("plateau state: 'bad_epochs' must be a whole number from 0 to {}, got {}",
                   patience_ - 1, bad);
    }
    lr_ = lr;
    best_ = best;
    bad_epochs_ = static_cast<std::int64_t>(bad);
  }

 private:
  static double entry(const ScheduleState& state, const char* name) {
    const auto found = state.find(name);
    if (found == state.end()) fail_setting("plateau state: '{}' is missing", name);
    return found->second;
  }

  double lr0_, factor_, min_lr_;
  std::int64_t patience_;
  double lr_;
  double best_ = -1.0;  // accuracies are >= 0: the first epoch is a new best
  std::int64_t bad_epochs_ = 0;
};

// Linear warm-up: the next schedule's rate times (s + 1) / steps for s < steps.
class WarmupSchedule final : public LrSchedule {
 public:
  WarmupSchedule(std::int64_t steps, std::unique_ptr<LrSchedule> after)
      : steps_(steps), after_(std::move(after)) {}
  double learning_rate(std::int64_t step) const override {
    const double lr = after_->learning_rate(step);
    if (step >= steps_) return lr;
    return lr * static_cast<double>(step + 1) / static_cast<double>(steps_);
  }
  void on_epoch_end(double val_acc) override { after_->on_epoch_end(val_acc); }
  ScheduleState state() const override { return after_->state(); }
  void load_state(const ScheduleState& state) override { after_->load_state(state); }

 private:
  std::int64_t steps_;
  std::unique_ptr<LrSchedule> after_;
};

void check_options(const ScheduleOptions& o, const ScheduleRun& run) {
  if (!(run.initial_lr > 0) || !std::isfinite(run.initial_lr)) {
    fail_setting("learning_rate: must be a positive finite number, got {}", run.initial_lr);
  }
  if (run.steps_per_epoch < 1 || run.total_steps < 1) {
    fail_setting("lr_schedule: a run of {} steps, {} an epoch: both must be positive",
                 run.total_steps, run.steps_per_epoch);
  }
  if (!(o.lr_decay > 0 && o.lr_decay <= 1)) {
    fail_setting("lr_decay: must be in (0, 1], got {}", o.lr_decay);
  }
  if (!(o.min_lr >= 0) || !std::isfinite(o.min_lr)) {
    fail_setting("min_lr: must be a finite number >= 0, got {}", o.min_lr);
  }
  const bool falls = o.kind == LrSchedule::Kind::cosine || o.kind == LrSchedule::Kind::plateau;
  if (falls && !(o.min_lr < run.initial_lr)) {
    fail_setting("min_lr: {} must be below the learning rate {} (the {} schedule falls to it)",
                 o.min_lr, run.initial_lr, name_of(o.kind));
  }
  if (!(o.plateau_factor > 0 && o.plateau_factor < 1)) {
    fail_setting("plateau_factor: must be in (0, 1), got {}", o.plateau_factor);
  }
  if (o.plateau_patience < 1) {
    fail_setting("plateau_patience: must be at least 1 epoch, got {}", o.plateau_patience);
  }
  if (o.warmup_steps < 0)
    fail_setting("warmup_steps: must be >= 0 (0: none), got {}", o.warmup_steps);
  if (o.warmup_steps > 0 && o.warmup_steps >= run.total_steps) {
    fail_setting("warmup_steps: {} must be fewer than the run's {} steps", o.warmup_steps,
                 run.total_steps);
  }
}

}  // namespace

std::unique_ptr<LrSchedule> make_schedule(const ScheduleOptions& o, const ScheduleRun& run) {
  check_options(o, run);
  std::unique_ptr<LrSchedule> schedule;
  switch (o.kind) {
    case LrSchedule::Kind::constant:
      schedule = std::make_unique<ConstantSchedule>(run.initial_lr);
      break;
    case LrSchedule::Kind::step:
      schedule = std::make_unique<StepSchedule>(run.initial_lr, o.lr_decay, run.steps_per_epoch);
      break;
    case LrSchedule::Kind::cosine:
      schedule = std::make_unique<CosineSchedule>(run.initial_lr, o.min_lr, o.warmup_steps,
                                                  run.total_steps);
      break;
    case LrSchedule::Kind::plateau:
      schedule = std::make_unique<PlateauSchedule>(run.initial_lr, o.plateau_factor,
                                                   o.plateau_patience, o.min_lr);
      break;
  }
  if (o.warmup_steps > 0)
    schedule = std::make_unique<WarmupSchedule>(o.warmup_steps, std::move(schedule));
  return schedule;
}

const char* name_of(LrSchedule::Kind kind) {
  switch (kind) {
    case LrSchedule::Kind::constant:
      return "constant";
    case LrSchedule::Kind::step:
      return "step";
    case LrSchedule::Kind::cosine:
      return "cosine";
    case LrSchedule::Kind::plateau:
      return "plateau";
  }
  return "?";
}

LrSchedule::Kind parse_schedule_kind(std::string_view name) {
  for (const LrSchedule::Kind kind : {LrSchedule::Kind::constant, LrSchedule::Kind::step,
                                      LrSchedule::Kind::cosine, LrSchedule::Kind::plateau}) {
    if (name == name_of(kind)) return kind;
  }
  throw ArgumentError(fmt::format(
      "lr_schedule: unknown schedule '{}' (expected constant, step, cosine or plateau)", name));
}

}  // namespace tg
