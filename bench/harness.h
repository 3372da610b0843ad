// The timing protocol of shared/bench/workloads.md and the JSON records the
// benchmark prints, kept apart from the workloads so they can be tested
// without timing anything.
//
// Protocol: `warmup` untimed calls, then timed calls until `iterations` were
// made, stopping early once the timed total exceeds `budget_s`, but never
// with fewer than `min_timed` timed calls.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "report/json.h"

namespace tg::bench {

struct Protocol {
  int warmup = 3;
  int iterations = 20;
  double budget_s = 15.0;
  int min_timed = 3;
};

// The protocol with at most max_calls warm-up and timed calls (max_calls > 0),
// for running under a profiler; max_calls <= 0 leaves it as it is.
Protocol capped(Protocol protocol, int max_calls);

// A monotonic clock in seconds (tests pass a fake one).
using Clock = std::function<double()>;
double steady_seconds();

// The protocol's timed calls, in seconds each.
std::vector<double> time_calls(const Protocol& protocol, const std::function<void()>& call,
                               const Clock& clock = steady_seconds);

double median(std::vector<double> values);  // mean of the middle two for an even count

struct Stats {
  double median_ms = 0;
  double min_ms = 0;
  double max_ms = 0;
  int n = 0;
};
Stats stats_of(const std::vector<double>& seconds);

// CPU time of the whole machine, from the "cpu " line of /proc/stat: busy is
// user + nice + system + irq + softirq (guest time is inside user); steal is
// time the hypervisor gave to other machines.
struct MachineCpu {
  double busy_s = 0;
  double steal_s = 0;
};
MachineCpu parse_proc_stat(const std::string& proc_stat, double ticks_per_s);

struct CpuSample {
  double wall_s = 0;
  MachineCpu machine;
  double own_cpu_s = 0;  // this process, all threads
};
CpuSample sample_cpu();

// What other processes used between two samples, in % of all cores. /proc/stat
// counts in 10 ms ticks, so a window much shorter than a second gives a rough
// figure: window_s says how long it was.
struct Contention {
  double other_cpu_pct = 0;
  double steal_pct = 0;
  double window_s = 0;
};
Contention contention_between(const CpuSample& before, const CpuSample& after, int cpus);

struct Measurement {
  Stats stats;
  Contention contention;
};
// Runs the protocol with the machine's CPU use sampled around the timed calls.
Measurement measure(const Protocol& protocol, const std::function<void()>& call);

double round_to(double value, int decimals);
// work / seconds / 1e9 (GFLOP/s or GB/s), rounded to 2 decimals.
double giga_per_s(double work, double ms);

// The process's peak resident set so far (getrusage ru_maxrss), in MiB.
double peak_rss_mib();

// One JSON line of the benchmark: "impl" and "workload" first, then the
// fields in the order set; other_cpu_pct and steal_pct are the worst of the
// measurements added, cpu_window_s the total time they were sampled over.
class Record {
 public:
  explicit Record(std::string_view workload);

  template <class T>
  Record& set(std::string_view key, const T& value) {
    json_[std::string(key)] = value;
    return *this;
  }
  // median_ms, min_ms, max_ms and n, each behind `prefix` ("fwd_" gives
  // fwd_median_ms, ..., fwd_n).
  Record& add_timing(const Measurement& m, std::string_view prefix = "");
  // Counts m's contention without adding its timing fields.
  Record& add_contention(const Measurement& m);

  // The line, with contention and peak_rss_mib appended.
  std::string line(double rss_mib) const;

 private:
  Json json_;
  bool measured_ = false;
  Contention worst_;
  double window_s_ = 0;
};

}  // namespace tg::bench
