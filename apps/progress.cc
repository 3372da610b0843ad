#include "apps/progress.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace tg {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto total = static_cast<std::int64_t>(std::llround(seconds));
  const std::int64_t hours = total / 3600, minutes = total / 60 % 60, rest = total % 60;
  return hours > 0 ? fmt::format("{}:{:02}:{:02}", hours, minutes, rest)
                   : fmt::format("{}:{:02}", minutes, rest);
}

ProgressDisplay::ProgressDisplay(std::FILE* out, bool interactive, std::int64_t num_epochs,
                                 std::string examples)
    : out_(out),
      interactive_(interactive),
      num_epochs_(num_epochs),
      examples_(std::move(examples)) {}

void ProgressDisplay::step(const StepInfo& step) {
  // An exponential moving average over about 50 iterations.
  smoothed_loss_ = smoothed_loss_ == 0 ? step.loss : 0.98 * smoothed_loss_ + 0.02 * step.loss;
  const std::int64_t per_epoch = step.iterations_per_epoch;
  const std::int64_t in_epoch = (step.iteration - 1) % per_epoch + 1;
  if (interactive_) {
    draw(step, in_epoch == per_epoch);
  } else if (in_epoch % std::max<std::int64_t>(per_epoch / 10, 1) == 0) {
    draw(step, true);
  }
}

void ProgressDisplay::draw(const StepInfo& step, bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const std::int64_t per_epoch = step.iterations_per_epoch;
  const std::int64_t epoch = (step.iteration - 1) / per_epoch + 1;
  const std::int64_t in_epoch = (step.iteration - 1) % per_epoch + 1;
  const double fraction = static_cast<double>(in_epoch) / static_cast<double>(per_epoch);
  const double examples_per_second =
      step.seconds > 0 ? static_cast<double>(step.examples) / step.seconds : 0;
  // Time per iteration since (re)start, times the iterations left.
  const auto done =
      static_cast<double>(std::max<std::int64_t>(step.iteration - step.first_iteration, 1));
  const double eta =
      step.seconds / done * static_cast<double>(step.num_iterations - step.iteration);
  const std::string head = fmt::format("epoch {}/{}", epoch, num_epochs_);
  const std::string tail =
      fmt::format("{:3.0f}% | loss {:.4f} | {:.0f} {}/s | ETA {}", 100 * fraction, smoothed_loss_,
                  examples_per_second, examples_, format_duration(eta));
  if (interactive_) {
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(std::lround(fraction * kWidth));
    // \r returns to the line start, \033[K clears what an older, longer line left.
    fmt::print(out_, "\r{} [{}{}] {}\033[K", head, std::string(filled, '#'),
               std::string(kWidth - filled, '.'), tail);
    line_open_ = true;
  } else {
    fmt::print(out_, "{} {}\n", head, tail);
  }
  std::fflush(out_);
}

void ProgressDisplay::epoch(const EpochRecord& record, bool is_best) {
  finish();
  fmt::print(out_, "epoch {}/{}: train acc {:.4f}, val acc {:.4f}{}, lr {:.2e}, {:.1f} s\n",
             record.epoch, num_epochs_, record.train_acc, record.val_acc, is_best ? " (best)" : "",
             record.lr, record.seconds);
  std::fflush(out_);
}

void ProgressDisplay::finish() {
  if (line_open_) fmt::print(out_, "\n");
  line_open_ = false;
}

}  // namespace tg
