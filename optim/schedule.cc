#include "optim/schedule.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "graph/errors.h"

namespace tg {

double LrSchedule::learning_rate(double initial, double epoch) const {
  if (kind == Kind::step) return initial * std::pow(decay, std::floor(epoch));
  const double progress = std::clamp(epoch / total_epochs, 0.0, 1.0);
  return min_lr + (initial - min_lr) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

void check_schedule(const LrSchedule& s) {
  if (s.kind == LrSchedule::Kind::step && !(s.decay > 0 && s.decay <= 1)) {
    throw ArgumentError(fmt::format("lr_decay: must be in (0, 1], got {}", s.decay));
  }
  if (s.kind == LrSchedule::Kind::cosine) {
    if (!(s.total_epochs > 0) || !std::isfinite(s.total_epochs)) {
      throw ArgumentError(
          fmt::format("lr_schedule: cosine needs total_epochs > 0, got {}", s.total_epochs));
    }
    if (!(s.min_lr >= 0) || !std::isfinite(s.min_lr)) {
      throw ArgumentError(fmt::format("lr_schedule: min_lr must be >= 0, got {}", s.min_lr));
    }
  }
}

LrSchedule::Kind parse_schedule_kind(std::string_view name) {
  if (name == "step") return LrSchedule::Kind::step;
  if (name == "cosine") return LrSchedule::Kind::cosine;
  throw ArgumentError(
      fmt::format("lr_schedule: unknown schedule '{}' (expected step or cosine)", name));
}

}  // namespace tg
