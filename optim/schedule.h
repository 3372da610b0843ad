// Learning-rate schedules: the learning rate as a function of the (possibly
// fractional) epoch, from the initial learning rate.
#pragma once

#include <string_view>

namespace tg {

struct LrSchedule {
  enum class Kind {
    step,    // the seed Solver's: lr0 * decay^floor(epoch), decayed once per epoch
    cosine,  // min_lr + (lr0 - min_lr) (1 + cos(pi epoch / total_epochs)) / 2
  };
  Kind kind = Kind::step;
  double decay = 1.0;         // step: factor per epoch, in (0, 1]
  double total_epochs = 1.0;  // cosine: where it reaches min_lr
  double min_lr = 0.0;        // cosine

  double learning_rate(double initial, double epoch) const;
};

// Throws ArgumentError naming the option when a setting is out of range.
void check_schedule(const LrSchedule& schedule);

// "step" or "cosine"; throws ArgumentError for anything else.
LrSchedule::Kind parse_schedule_kind(std::string_view name);

}  // namespace tg
