// The benchmark harness without timing anything: the protocol's stopping rule
// on a fake clock, the statistics, the /proc/stat parsing, the contention
// arithmetic and the JSON lines.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bench/harness.h"
#include "graph/errors.h"
#include "bench/harness.h"
#include "bench/work.h"

using namespace tg;
using namespace tg::bench;

namespace {

// A clock that only moves when a call "takes" time: each call advances it by
// the next entry of `durations` (the last one repeats).
struct FakeRun {
  std::vector<double> durations;
  double now = 0;
  int calls = 0;

  void call() {
    const std::size_t i = std::min<std::size_t>(calls, durations.size() - 1);
    now += durations[i];
    ++calls;
  }
};

std::vector<double> run_protocol(FakeRun& run, const Protocol& protocol) {
  return time_calls(
      protocol, [&] { run.call(); }, [&] { return run.now; });
}

}  // namespace

TEST_CASE("time_calls makes the warm-up calls untimed, then all iterations within the budget") {
  FakeRun run{{0.5, 0.5, 0.1}};
  const std::vector<double> seconds = run_protocol(run, {2, 5, 10.0});
  CHECK(run.calls == 7);
  REQUIRE(seconds.size() == 5);
  for (const double s : seconds) CHECK(s == doctest::Approx(0.1));
}

TEST_CASE("time_calls stops once the timed total exceeds the budget") {
  FakeRun run{{1.0}};
  // 1 s a call against a 2.5 s budget: the total passes 2.5 at the third call.
  CHECK(run_protocol(run, {0, 20, 2.5}).size() == 3);
  FakeRun slow{{2.0}};
  // Reaching the budget exactly is not exceeding it.
  CHECK(run_protocol(slow, {0, 20, 8.0}).size() == 5);
}

TEST_CASE("time_calls never stops with fewer than the minimum timed calls") {
  FakeRun run{{100.0}};
  CHECK(run_protocol(run, {1, 20, 1.0}).size() == 3);
  FakeRun few{{0.001}};
  // Fewer iterations than the minimum still give the minimum.
  CHECK(run_protocol(few, {0, 2, 1.0}).size() == 3);
}

TEST_CASE("time_calls rejects a protocol without iterations or budget") {
  FakeRun run{{1.0}};
  CHECK_THROWS_AS(run_protocol(run, {0, 0, 1.0}), ArgumentError);
  CHECK_THROWS_AS(run_protocol(run, {0, 5, 0.0}), ArgumentError);
  CHECK_THROWS_AS(run_protocol(run, {-1, 5, 1.0}), ArgumentError);
  CHECK(run.calls == 0);
}

TEST_CASE("capped limits warm-up, timed calls and the minimum for profilers") {
  const Protocol p = capped({3, 20, 15.0}, 2);
  CHECK(p.warmup == 2);
  CHECK(p.iterations == 2);
  CHECK(p.min_timed == 2);
  CHECK(p.budget_s == 15.0);
  FakeRun run{{100.0}};
  CHECK(run_protocol(run, p).size() == 2);
  const Protocol unchanged = capped({3, 20, 15.0}, 0);
  CHECK(unchanged.warmup == 3);
  CHECK(unchanged.iterations == 20);
  CHECK(unchanged.min_timed == 3);
}

TEST_CASE("median takes the middle value, or the mean of the middle two") {
  CHECK(median({3.0}) == 3.0);
  CHECK(median({5.0, 1.0, 3.0}) == 3.0);
  CHECK(median({4.0, 1.0, 3.0, 2.0}) == 2.5);
  CHECK(median({7.0, 7.0, 1.0, 9.0, 7.0, 2.0}) == 7.0);
  CHECK_THROWS_AS(median({}), ArgumentError);
}

TEST_CASE("stats_of reports median, min and max in milliseconds and the count") {
  const Stats s = stats_of({0.004, 0.001, 0.010, 0.002});
  CHECK(s.median_ms == doctest::Approx(3.0));
  CHECK(s.min_ms == doctest::Approx(1.0));
  CHECK(s.max_ms == doctest::Approx(10.0));
  CHECK(s.n == 4);
  CHECK_THROWS_AS(stats_of({}), ArgumentError);
}

TEST_CASE("parse_proc_stat sums the busy fields of the all-cpu line and reads steal apart") {
  const std::string text =
      "cpu  100 20 30 5000 40 5 6 7 0 0\n"
      "cpu0 50 10 15 2500 20 2 3 3 0 0\n"
      "intr 12345\n";
  const MachineCpu cpu = parse_proc_stat(text, 100.0);
  CHECK(cpu.busy_s == doctest::Approx((100 + 20 + 30 + 5 + 6) / 100.0));
  CHECK(cpu.steal_s == doctest::Approx(0.07));
  CHECK_THROWS_AS(parse_proc_stat("cpu0 1 2 3\n", 100.0), Error);
  CHECK_THROWS_AS(parse_proc_stat("cpu  1 2 3\n", 100.0), Error);
}

TEST_CASE("contention_between subtracts the process's own CPU time, in % of all cores") {
  CpuSample before;
  before.wall_s = 10;
  before.machine = {100, 1};
  before.own_cpu_s = 50;
  CpuSample after;
  after.wall_s = 12;           // 2 s on 2 cores: 4 CPU-seconds available
  after.machine = {103, 1.2};  // 3 s busy, of which 2 were this process
  after.own_cpu_s = 52;
  const Contention c = contention_between(before, after, 2);
  CHECK(c.other_cpu_pct == doctest::Approx(25.0));
  CHECK(c.steal_pct == doctest::Approx(5.0));
  CHECK(c.window_s == doctest::Approx(2.0));
  // Jiffy rounding can make the machine look less busy than the process: clamp at 0.
  after.own_cpu_s = 60;
  CHECK(contention_between(before, after, 2).other_cpu_pct == 0.0);
}

TEST_CASE("round_to and giga_per_s round as the reference does") {
  CHECK(round_to(3.14159, 2) == doctest::Approx(3.14));
  CHECK(round_to(22.00005, 4) == doctest::Approx(22.0001));
  // 1e9 units in 500 ms: 2 per ns.
  CHECK(giga_per_s(1e9, 500.0) == doctest::Approx(2.0));
}

TEST_CASE("Record prints impl and workload first, timings, then the worst contention and RSS") {
  Measurement both;
  both.stats = {3.12345678, 2.9, 15.0, 30};
  both.contention = {4.04, 0.0, 0.75};
  Measurement forward;
  forward.stats = {1.25, 1.2, 1.5, 28};
  forward.contention = {12.34, 0.5, 0.5};

  Record record("sbn");
  record.set("warmup", 3).add_timing(both).set("GBps", 26.89).add_timing(forward, "fwd_");
  CHECK(record.line(101.06) ==
        R"({"impl":"tapegrad","workload":"sbn","warmup":3,"median_ms":3.1235,)"
        R"("min_ms":2.9,"max_ms":15.0,"n":30,"GBps":26.89,"fwd_median_ms":1.25,)"
        R"("fwd_min_ms":1.2,"fwd_max_ms":1.5,"fwd_n":28,"other_cpu_pct":12.3,)"
        R"("steal_pct":0.5,"cpu_window_s":1.25,"peak_rss_mib":101.1})");
}

TEST_CASE("Record without measurements has no contention fields; strings are escaped") {
  Record error("conv");
  error.set("error", std::string("conv2d: bad \"x\""));
  CHECK(error.line(4.0) ==
        R"({"impl":"tapegrad","workload":"conv","error":"conv2d: bad \"x\"","peak_rss_mib":4.0})");
}

TEST_CASE("work counts: the FLOPs shared/bench/workloads.md gives, the bytes by work.h's rule") {
  // cnn_step: a full step without the input gradient.
  const ConvNetShape cnn{64, 3, 32, 32, 32, 7, 100, 10, false};
  CHECK(cnn.conv_flops() == 616'562'688.0);
  const Work step = convnet_step_work(cnn);
  CHECK(step.flops == 1'548'082'176.0);
  // x twice; 825,046 parameters read twice, their gradient written, Adam's 7
  // passes; the pooled features (64 x 8192) and the hidden layer (64 x 100)
  // written and read.
  CHECK(step.bytes == 4.0 * (2 * 196'608 + 825'046 * 10 + 2 * (524'288 + 6'400)));
  // Batch norm adds gamma and beta, and its input (64 x 32 x 32 x 32) is saved.
  const Work bn = convnet_step_work({64, 3, 32, 32, 32, 7, 100, 10, true});
  CHECK(bn.flops == step.flops);
  CHECK(bn.bytes - step.bytes == 4.0 * (64 * 10 + 2 * 2'097'152));
  // mlp_step: forward 135,280,000, step 282,960,000.
  const Work mlp = mlp_step_work(200, 3072, {100, 100, 100, 100}, 10);
  CHECK(mlp.flops == 282'960'000.0);
  // Inference is the forward alone.
  CHECK(convnet_inference_work(cnn).flops == 721'548'288.0);
  // An LSTM step's gate products: 2 N (D + H) 4H.
  CHECK(lstm_forward_flops(64, 1, 28, 128) == 2.0 * 64 * (28 + 128) * 512);
}

TEST_CASE("add_work writes flops and bytes as integers, behind a prefix") {
  Record record("conv");
  add_work(record, {1.5e9, 2e6});
  add_work(record, {5e8, 1e6}, "fwd_");
  CHECK(record.line(1.0) ==
        R"({"impl":"tapegrad","workload":"conv","flops":1500000000,"bytes":2000000,)"
        R"("fwd_flops":500000000,"fwd_bytes":1000000,"peak_rss_mib":1.0})");
}
