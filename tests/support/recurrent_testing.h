// Test helpers shared by the recurrent layers' suites (rnn, lstm, gru,
// temporal ops): the notebook's linspace inputs, numerical gradients of a
// kernel, comparisons of a fast tape op with the same computation composed
// from primitives, and a thread-count switch.
#pragma once

#include <doctest/doctest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "graph/gradcheck.h"
#include "tests/support/check_grads.h"
#include "graph/rng.h"
#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg::testing {

// np.linspace(low, high, num=shape.numel()).reshape(shape), in float64.
inline Tensor linspace(double low, double high, const Shape& shape) {
  const std::int64_t n = shape.numel();
  std::vector<double> values(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    values[i] = n == 1 ? low : low + (high - low) * static_cast<double>(i) / (n - 1);
  }
  return Tensor::from_values(shape, values, DType::f64);
}

// sum(a * b) over two float64 tensors of one shape.
inline double dot(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  double total = 0;
  for (std::int64_t i = 0; i < a.numel(); ++i) total += a.data<double>()[i] * b.data<double>()[i];
  return total;
}

// Asserts rel_error(analytic, numeric) < 1e-7 for one input of a kernel.
inline void require_kernel_gradient(const std::string& what, const Tensor& analytic,
                                    const std::function<double()>& loss, const Tensor& input) {
  REQUIRE(analytic.defined());
  const double error = rel_error(analytic, numeric_gradient(loss, input));
  INFO("d", what, " relative error ", error);
  CHECK(error < 1e-7);
}

// What one run of an op on a fresh tape gave: the output values and the
// gradient of every input, for upstream gradients drawn from `seed`.
struct OpRun {
  std::vector<Tensor> outputs;
  std::vector<Tensor> grads;
};

inline OpRun run_op(const MultiOpUnderTest& op, const std::vector<Tensor>& inputs,
                    std::uint64_t seed) {
  Tape tape;
  std::vector<Var> vars;
  for (const Tensor& t : inputs) vars.push_back(tape.variable(t.clone()));
  const std::vector<Var> outs = op(vars);
  Rng rng(seed);
  std::vector<Tensor> upstreams;
  OpRun run;
  for (const Var& out : outs) {
    upstreams.push_back(Tensor::randn(out.shape(), rng, out.dtype()));
    run.outputs.push_back(out.value());
  }
  tape.backward(outs, upstreams);
  for (const Var& v : vars) run.grads.push_back(v.grad());
  return run;
}

// max |a - b| / max(max |a|, max |b|): the error relative to the tensor's
// scale. Two ways of computing a result round differently, and an element
// near zero carries the rounding of the large ones it was summed from: an
// elementwise relative error would measure noise there.
inline double scaled_error(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  const std::vector<double> x = a.to_vector(), y = b.to_vector();
  double diff = 0, scale = 1e-30;
  for (std::size_t i = 0; i < x.size(); ++i) {
    diff = std::max(diff, std::abs(x[i] - y[i]));
    scale = std::max({scale, std::abs(x[i]), std::abs(y[i])});
  }
  return diff / scale;
}

// Runs the fast op and its composition from primitives on the same inputs
// and upstream gradients and asserts equal outputs and input gradients up to
// `tolerance` (scaled_error).
inline void require_same_as_composition(const MultiOpUnderTest& fast,
                                        const MultiOpUnderTest& composed,
                                        const std::vector<Tensor>& inputs,
                                        const std::vector<std::string>& names, double tolerance,
                                        std::uint64_t seed = 5) {
  const OpRun a = run_op(fast, inputs, seed);
  const OpRun b = run_op(composed, inputs, seed);
  REQUIRE(a.outputs.size() == b.outputs.size());
  for (std::size_t k = 0; k < a.outputs.size(); ++k) {
    const double error = scaled_error(a.outputs[k], b.outputs[k]);
    INFO("output ", k, " relative error ", error);
    CHECK(error < tolerance);
  }
  REQUIRE(names.size() == inputs.size());
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    REQUIRE(a.grads[k].defined());
    REQUIRE(b.grads[k].defined());
    const double error = scaled_error(a.grads[k], b.grads[k]);
    INFO("d", names[k], " relative error ", error);
    CHECK(error < tolerance);
  }
}

// A single-output op as a MultiOpUnderTest.
inline MultiOpUnderTest as_multi(const OpUnderTest& op) {
  return [op](const std::vector<Var>& v) { return std::vector<Var>{op(v)}; };
}

// Sets the number of OpenMP threads for a scope.
class ThreadCount {
 public:
  explicit ThreadCount(int threads) : saved_(omp_get_max_threads()) {
    omp_set_num_threads(threads);
  }
  ~ThreadCount() { omp_set_num_threads(saved_); }
  ThreadCount(const ThreadCount&) = delete;
  ThreadCount& operator=(const ThreadCount&) = delete;

 private:
  int saved_;
};

// Asserts that two runs gave the same bits.
inline void require_same_bits(const OpRun& a, const OpRun& b) {
  REQUIRE(a.outputs.size() == b.outputs.size());
  for (std::size_t k = 0; k < a.outputs.size(); ++k) {
    CHECK(a.outputs[k].to_vector() == b.outputs[k].to_vector());
  }
  REQUIRE(a.grads.size() == b.grads.size());
  for (std::size_t k = 0; k < a.grads.size(); ++k) {
    CHECK(a.grads[k].to_vector() == b.grads[k].to_vector());
  }
}

}  // namespace tg::testing
