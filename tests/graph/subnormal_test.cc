// No subnormal floats in training (graph/float_env.h): Adam's and RMSProp's
// state, driven by gradients that decay to zero, never holds one, on the
// calling thread or on the workers; turning the flushing off brings them
// back. Counted, not timed.
#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <memory>
#include <vector>

#include "graph/float_env.h"
#include "graph/parallel.h"
#include "graph/parameter.h"
#include "graph/rng.h"
#include "optim/optimizer.h"
#include "optim/update_rules.h"

using namespace tg;

namespace {

// Above the update rules' parallel grain, so two threads share the update.
constexpr std::int64_t kSize = 20000;

std::int64_t subnormals(const Tensor& t) {
  const float* v = t.data<float>();
  std::int64_t count = 0;
  for (std::int64_t i = 0; i < t.numel(); ++i) count += std::fpclassify(v[i]) == FP_SUBNORMAL;
  return count;
}

// Runs `steps` updates whose state starts just above the subnormal range and
// whose gradients decay through it to zero; returns the most subnormal values
// a slot held after any tenth step.
std::int64_t worst_subnormal_count(const std::string& rule, int threads, int steps) {
  omp_set_num_threads(threads);
  Rng rng(1);
  Parameter w("w", Tensor::randn({kSize}, rng));
  std::unique_ptr<Optimizer> optimizer = make_optimizer(rule);
  OptimizerState state{rule, {}};
  Tensor tiny = Tensor::randn({kSize}, rng, DType::f32, 0.0, 1e-36);
  // RMSProp's cache decays by 0.99 a step, Adam's m by 0.9: both reach the
  // subnormals (below 1.18e-38) within 300 steps from here.
  Tensor tiny_positive = Tensor::uniform({kSize}, rng, 1e-37, 2e-37);
  if (rule == "adam") {
    state.slots.emplace("w/m", tiny);
    state.slots.emplace("w/v", tiny_positive);
    state.slots.emplace("w/t", Tensor::full({}, 100, DType::f64));
  } else {
    state.slots.emplace("w/cache", tiny_positive);
  }
  optimizer->load_state(state);
  const Tensor g0 = Tensor::randn({kSize}, rng, DType::f32, 0.0, 1e-30);
  std::int64_t worst = 0;
  for (int t = 0; t < steps; ++t) {
    w.grad().copy_(g0);
    w.grad().scale_(std::pow(0.5, t));  // through the subnormals to zero
    optimizer->step({w});
    if (t % 10 != 9) continue;  // a value stays subnormal for over 150 steps
    for (const auto& [name, slot] : optimizer->state().slots) {
      if (slot.dtype() == DType::f32) worst = std::max(worst, subnormals(slot));
    }
  }
  omp_set_num_threads(2);
  return worst;
}

}  // namespace

TEST_CASE("Adam and RMSProp state never holds a subnormal float, on 1 or 2 threads") {
  REQUIRE(flush_denormals());
  for (const char* rule : {"adam", "rmsprop"}) {
    for (int threads : {1, 2}) {
      CAPTURE(rule);
      CAPTURE(threads);
      CHECK(worst_subnormal_count(rule, threads, 300) == 0);
    }
  }
}

TEST_CASE("With flushing turned off the same updates do reach subnormals (the test can fail)") {
  set_flush_denormals(false);
  CHECK_FALSE(thread_flushes_denormals());
  const std::int64_t adam = worst_subnormal_count("adam", 2, 300);
  const std::int64_t rmsprop = worst_subnormal_count("rmsprop", 2, 300);
  set_flush_denormals(true);
  CHECK(adam > 500);
  CHECK(rmsprop > 500);
  CHECK(thread_flushes_denormals());
}

TEST_CASE("Every thread of a parallel region flushes; a tape sets the calling thread") {
  set_flush_denormals(false);
  set_flush_denormals(true);
  omp_set_num_threads(2);
  std::vector<int> flushed(2, -1);
  parallel_for(2, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) flushed[i] = thread_flushes_denormals() ? 1 : 0;
  });
  CHECK(flushed == std::vector<int>{1, 1});
  // A computation on subnormal inputs: DAZ reads them as zero.
  volatile float subnormal = 1e-39f;
  CHECK(subnormal * 1.0f == 0.0f);
}
