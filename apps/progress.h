// What tools/train shows while it trains: on a terminal, one progress line
// redrawn in place (epoch, bar, smoothed loss, examples/s, ETA); elsewhere
// (a log file, CI) plain lines every tenth of an epoch. Epoch results are
// printed as lines in both cases.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "report/history.h"
#include "solver/solver.h"

namespace tg {

class ProgressDisplay {
 public:
  // `examples` names what is trained on per second: "img", "words".
  ProgressDisplay(std::FILE* out, bool interactive, std::int64_t num_epochs,
                  std::string examples = "img");

  void step(const StepInfo& step);
  void epoch(const EpochRecord& record, bool is_best);
  // Ends an unfinished progress line.
  void finish();

 private:
  void draw(const StepInfo& step, bool force);

  std::FILE* out_;
  bool interactive_;
  std::int64_t num_epochs_;
  std::string examples_;
  double smoothed_loss_ = 0;
  bool line_open_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

// "1:02:03" or "4:05" for a number of seconds.
std::string format_duration(double seconds);

}  // namespace tg
