#include "bench/harness.h"

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>

#include "graph/errors.h"

namespace tg::bench {

Protocol capped(Protocol protocol, int max_calls) {
  if (max_calls <= 0) return protocol;
  protocol.warmup = std::min(protocol.warmup, max_calls);
  protocol.iterations = std::min(protocol.iterations, max_calls);
  protocol.min_timed = std::min(protocol.min_timed, max_calls);
  return protocol;
}

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::vector<double> time_calls(const Protocol& protocol, const std::function<void()>& call,
                               const Clock& clock) {
  if (protocol.iterations < 1 || protocol.warmup < 0 || !(protocol.budget_s > 0)) {
    throw ArgumentError("bench protocol: needs iterations >= 1, warmup >= 0 and budget_s > 0");
  }
  for (int i = 0; i < protocol.warmup; ++i) call();
  const int most = std::max(protocol.iterations, protocol.min_timed);
  std::vector<double> seconds;
  double total = 0;
  while (static_cast<int>(seconds.size()) < most) {
    const double start = clock();
    call();
    const double elapsed = clock() - start;
    seconds.push_back(elapsed);
    total += elapsed;
    if (total > protocol.budget_s && static_cast<int>(seconds.size()) >= protocol.min_timed) break;
  }
  return seconds;
}

double median(std::vector<double> values) {
  if (values.empty()) throw ArgumentError("bench median: no values");
  const std::size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + mid, values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  const double lower = *std::max_element(values.begin(), values.begin() + mid);
  return (lower + upper) / 2;
}

Stats stats_of(const std::vector<double>& seconds) {
  if (seconds.empty()) throw ArgumentError("bench stats: no timed calls");
  const auto [lowest, highest] = std::minmax_element(seconds.begin(), seconds.end());
  Stats s;
  s.median_ms = median(seconds) * 1e3;
  s.min_ms = *lowest * 1e3;
  s.max_ms = *highest * 1e3;
  s.n = static_cast<int>(seconds.size());
  return s;
}

MachineCpu parse_proc_stat(const std::string& proc_stat, double ticks_per_s) {
  std::istringstream lines(proc_stat);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("cpu ", 0) != 0) continue;
    std::istringstream fields(line.substr(4));
    // user nice system idle iowait irq softirq steal (guest, guest_nice follow)
    double v[8] = {};
    int read = 0;
    while (read < 8 && fields >> v[read]) ++read;
    if (read < 8) break;
    MachineCpu cpu;
    cpu.busy_s = (v[0] + v[1] + v[2] + v[5] + v[6]) / ticks_per_s;
    cpu.steal_s = v[7] / ticks_per_s;
    return cpu;
  }
  throw Error("bench: /proc/stat has no complete \"cpu \" line");
}

CpuSample sample_cpu() {
  CpuSample s;
  s.wall_s = steady_seconds();
  std::ifstream file("/proc/stat");
  std::stringstream text;
  text << file.rdbuf();
  s.machine = parse_proc_stat(text.str(), static_cast<double>(sysconf(_SC_CLK_TCK)));
  timespec own{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &own);
  s.own_cpu_s = static_cast<double>(own.tv_sec) + static_cast<double>(own.tv_nsec) * 1e-9;
  return s;
}

Contention contention_between(const CpuSample& before, const CpuSample& after, int cpus) {
  const double window = std::max(after.wall_s - before.wall_s, 1e-9);
  const double capacity = window * std::max(cpus, 1);
  const double busy = after.machine.busy_s - before.machine.busy_s;
  const double own = after.own_cpu_s - before.own_cpu_s;
  Contention c;
  c.other_cpu_pct = std::max(busy - own, 0.0) / capacity * 100;
  c.steal_pct = std::max(after.machine.steal_s - before.machine.steal_s, 0.0) / capacity * 100;
  c.window_s = window;
  return c;
}

Measurement measure(const Protocol& protocol, const std::function<void()>& call) {
  // The warm-up runs outside the sampled window.
  for (int i = 0; i < protocol.warmup; ++i) call();
  Protocol timed_only = protocol;
  timed_only.warmup = 0;
  const CpuSample before = sample_cpu();
  const std::vector<double> seconds = time_calls(timed_only, call);
  const CpuSample after = sample_cpu();
  const int cpus = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return {stats_of(seconds), contention_between(before, after, cpus)};
}

double round_to(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

double giga_per_s(double work, double ms) { return round_to(work / (ms / 1e3) / 1e9, 2); }

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

Record::Record(std::string_view workload) {
  json_ = {{"impl", "tapegrad"}, {"workload", workload}};
}

Record& Record::add_timing(const Measurement& m, std::string_view prefix) {
  const std::string p(prefix);
  json_[p + "median_ms"] = round_to(m.stats.median_ms, 4);
  json_[p + "min_ms"] = round_to(m.stats.min_ms, 4);
  json_[p + "max_ms"] = round_to(m.stats.max_ms, 4);
  json_[p + "n"] = m.stats.n;
  return add_contention(m);
}

Record& Record::add_contention(const Measurement& m) {
  if (!measured_) worst_ = m.contention;
  worst_.other_cpu_pct = std::max(worst_.other_cpu_pct, m.contention.other_cpu_pct);
  worst_.steal_pct = std::max(worst_.steal_pct, m.contention.steal_pct);
  window_s_ += m.contention.window_s;
  measured_ = true;
  return *this;
}

std::string Record::line(double rss_mib) const {
  Json out = json_;
  if (measured_) {
    out["other_cpu_pct"] = round_to(worst_.other_cpu_pct, 1);
    out["steal_pct"] = round_to(worst_.steal_pct, 1);
    out["cpu_window_s"] = round_to(window_s_, 3);
  }
  out["peak_rss_mib"] = round_to(rss_mib, 1);
  return json_text(out);
}

}  // namespace tg::bench
