// A progress bar for work counted in items (images evaluated, ...): on a
// terminal one line redrawn in place, at most every 0.1 s:
//   evaluating [##########..............]  42% | 7712 images/s | ETA 0:01
// Elsewhere (a log, a test) it prints nothing, so outputs stay clean.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace tg {

class ProgressBar {
 public:
  ProgressBar(std::FILE* out, bool interactive, std::string label, std::int64_t total,
              std::string unit);

  // `done` items of the total are done.
  void update(std::int64_t done);
  // Ends the line (when one was drawn).
  void finish();

 private:
  std::FILE* out_;
  bool interactive_;
  std::string label_;
  std::int64_t total_;
  std::string unit_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
  bool line_open_ = false;
};

}  // namespace tg
