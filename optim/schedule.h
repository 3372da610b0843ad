// Learning-rate schedules: objects the Solver asks for the rate of every
// step. What a schedule sees: the step s (counted from 0, the update about to
// be made), fixed when it is made — the initial rate lr0, the steps of an
// epoch and the run's total steps — and, at the end of every epoch, the
// validation accuracy (on_epoch_end). The rates, for step s of a run of
// `total` steps, epoch e = floor(s / steps_per_epoch):
//   constant  lr0
//   step      lr0 * lr_decay^e                         (the seed Solver's)
//   cosine    min_lr + (lr0 - min_lr) (1 + cos(pi (s - w) / (total - w))) / 2
//             from the end of the warm-up (w steps; lr0 before it) to min_lr
//             at the last step's end
//   plateau   lr0, multiplied by plateau_factor (never below min_lr) at the
//             end of the plateau_patience-th epoch in a row whose validation
//             accuracy is not above the best so far; the count then restarts
// Warm-up (warmup_steps = w > 0) ramps any of them linearly: for s < w the
// rate is the schedule's times (s + 1) / w (lr0 (s + 1) / w when w is within
// the first epoch, or with cosine), after it the schedule's own.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace tg {

// What a schedule carries from step to step (plateau's best accuracy, its
// count of epochs without improvement and its rate), by name: checkpoints
// save it so that a resumed run takes the same rates.
using ScheduleState = std::map<std::string, double>;

class LrSchedule {
 public:
  enum class Kind { constant, step, cosine, plateau };

  virtual ~LrSchedule() = default;
  // The rate of step `step` (from 0); the same for the same step and state.
  virtual double learning_rate(std::int64_t step) const = 0;
  // After each epoch's steps, with the epoch's validation accuracy.
  virtual void on_epoch_end(double /*val_acc*/) {}
  virtual ScheduleState state() const { return {}; }
  // Throws ArgumentError naming the entry for one missing or out of range
  // (the schedule is then left as it was).
  virtual void load_state(const ScheduleState& /*state*/) {}
};

// The settings of a schedule, as SolverOptions and a run's record name them.
struct ScheduleOptions {
  LrSchedule::Kind kind = LrSchedule::Kind::step;  // "lr_schedule"
  double lr_decay = 1.0;                           // step: factor per epoch, in (0, 1]
  double min_lr = 0.0;                // cosine: the last rate; plateau: the floor; >= 0, < lr0
  double plateau_factor = 0.5;        // plateau: factor of a cut, in (0, 1)
  std::int64_t plateau_patience = 2;  // plateau: epochs without improvement before a cut, >= 1
  std::int64_t warmup_steps = 0;      // 0: none; else fewer than the run's steps
};

// What a schedule knows of the run it is made for.
struct ScheduleRun {
  double initial_lr = 0;
  std::int64_t steps_per_epoch = 1;
  std::int64_t total_steps = 1;
};

// The schedule `options` describe, warm-up included. Throws ArgumentError
// naming the setting (lr_decay, min_lr, plateau_factor, plateau_patience,
// warmup_steps) when one is out of range for this kind and run.
std::unique_ptr<LrSchedule> make_schedule(const ScheduleOptions& options, const ScheduleRun& run);

// "constant", "step", "cosine" or "plateau", and back (ArgumentError naming
// lr_schedule for another name).
const char* name_of(LrSchedule::Kind kind);
LrSchedule::Kind parse_schedule_kind(std::string_view name);

}  // namespace tg
