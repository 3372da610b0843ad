#include "apps/progress_bar.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "apps/progress.h"

namespace tg {

ProgressBar::ProgressBar(std::FILE* out, bool interactive, std::string label, std::int64_t total,
                         std::string unit)
    : out_(out),
      interactive_(interactive),
      label_(std::move(label)),
      total_(std::max<std::int64_t>(total, 1)),
      unit_(std::move(unit)) {}

void ProgressBar::update(std::int64_t done) {
  if (!interactive_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double fraction =
      std::clamp(static_cast<double>(done) / static_cast<double>(total_), 0.0, 1.0);
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0;
  constexpr int kWidth = 24;
  const int filled = static_cast<int>(std::lround(fraction * kWidth));
  // \r returns to the line start, \033[K clears what an older, longer line left.
  fmt::print(out_, "\r{} [{}{}] {:3.0f}% | {:.0f} {}/s | ETA {}\033[K", label_,
             std::string(filled, '#'), std::string(kWidth - filled, '.'), 100 * fraction, rate,
             unit_, format_duration(eta));
  std::fflush(out_);
  line_open_ = true;
}

void ProgressBar::finish() {
  if (line_open_) fmt::print(out_, "\n");
  line_open_ = false;
}

}  // namespace tg
