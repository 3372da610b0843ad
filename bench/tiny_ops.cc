// Per-op overhead: a chain of 1000 elementwise ops on a (1, 16) tensor, so
// the time is the tape's bookkeeping, not arithmetic.
#include <cstdint>
#include <vector>

#include "bench/workloads.h"
#include "graph/rng.h"
#include "graph/tape.h"
#include "graph/tensor.h"
#include "ops/layers/relu.h"
#include "ops/math/add.h"
#include "ops/reduce/sum.h"

namespace tg::bench {
namespace {

constexpr std::uint64_t kDataSeed = 3;
constexpr int kRepeats = 500;  // each a relu and an add
constexpr int kOps = 2 * kRepeats;

Var chain(const Var& x, const Var& c) {
  Var h = x;
  for (int i = 0; i < kRepeats; ++i) {
    h = relu(h);
    h = h + c;
  }
  return h;
}

double us_per_op(const Measurement& m) { return round_to(m.stats.median_ms * 1e3 / kOps, 3); }

}  // namespace

void run_tiny_ops(const BenchContext& context) {
  Rng rng(kDataSeed);
  const Tensor x = Tensor::randn({1, 16}, rng);
  const Tensor c = Tensor::uniform({1, 16}, rng, 0.1, 1.0);

  const Protocol protocol = context.protocol(3, 30, 6.0);
  const Measurement both = measure(protocol, [&] {
    Tape tape;
    const Var h = chain(tape.variable(x), tape.constant(c));
    tape.backward(sum(h));
  });
  const Protocol extras = context.protocol(3, 30, 4.0);
  const Measurement recorded = measure(extras, [&] {
    Tape tape;
    chain(tape.variable(x), tape.constant(c));
  });
  const Measurement inference = measure(extras, [&] {
    Tape tape(Tape::inference());
    chain(tape.variable(x), tape.constant(c));
  });

  Record record("tiny_ops");
  record.set("ops", kOps)
      .set("shape", std::vector<std::int64_t>{1, 16})
      .set("warmup", protocol.warmup)
      .add_timing(both)
      .set("us_per_op", us_per_op(both))
      .set("fwd_record_us_per_op", us_per_op(recorded))
      .set("fwd_nograd_us_per_op", us_per_op(inference))
      .add_contention(recorded)
      .add_contention(inference);
  context.emit(record);
}

}  // namespace tg::bench
