// Numerical gradient checks, after the seed's cs231n.gradient_check, in
// float64. Every op test in the project goes through check_gradients().
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

// The seed's relative error: max |x - y| / max(1e-8, |x| + |y|).
double rel_error(const Tensor& x, const Tensor& y);

// Numerical gradient of a scalar function f at x by centred differences
// (f(x + h) - f(x - h)) / 2h. x is perturbed in place (f must read it) and
// restored.
Tensor eval_numerical_gradient(const std::function<double(const Tensor&)>& f, Tensor x,
                               double h = 1e-5);

// Numerical gradient of sum(f(x) * dout) with respect to x: the gradient a
// backward pass should return for upstream gradient dout.
Tensor eval_numerical_gradient_array(const std::function<Tensor(const Tensor&)>& f, Tensor x,
                                     const Tensor& dout, double h = 1e-5);

// An op (or a whole expression) under test, built from its input Vars.
using OpUnderTest = std::function<Var(const std::vector<Var>& inputs)>;
// The same for an op with several outputs.
using MultiOpUnderTest = std::function<std::vector<Var>(const std::vector<Var>& inputs)>;

struct GradientCheck {
  std::vector<Tensor> analytic;  // per input, from the tape's backward
  std::vector<Tensor> numeric;   // per input, from eval_numerical_gradient_array
  std::vector<double> errors;    // per input, rel_error(analytic, numeric)
  double max_error() const;
};

// Checks the gradient of every input of an op in one call: the op runs on a
// tape with each input a variable, backward starts from a random upstream
// gradient (from seed), and each input gradient is compared with the
// numerical one. Inputs must be float64. The op must be deterministic (seed
// any randomness inside it).
GradientCheck check_gradients(const OpUnderTest& op, const std::vector<Tensor>& inputs,
                              std::uint64_t seed = 0, double h = 1e-5);
// For an op with several outputs: backward starts from a random upstream
// gradient for every output at once, so the check covers
// sum_k sum(output_k * dout_k), a random projection of all outputs.
GradientCheck check_gradients(const MultiOpUnderTest& op, const std::vector<Tensor>& inputs,
                              std::uint64_t seed = 0, double h = 1e-5);

}  // namespace tg
