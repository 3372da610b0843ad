#include "graph/gradcheck.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "graph/errors.h"
#include "graph/rng.h"

namespace tg {

double rel_error(const Tensor& x, const Tensor& y) {
  if (x.shape() != y.shape()) {
    throw ArgumentError(
        fmt::format("rel_error: shapes differ, {} and {}", x.shape().str(), y.shape().str()));
  }
  const std::vector<double> a = x.to_vector();
  const std::vector<double> b = y.to_vector();
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double error = std::abs(a[i] - b[i]) / std::max(1e-8, std::abs(a[i]) + std::abs(b[i]));
    // A NaN anywhere is the worst possible error, not something max() may skip.
    if (std::isnan(error)) return error;
    worst = std::max(worst, error);
  }
  return worst;
}

namespace {

void require_float64(std::string_view what, const Tensor& t) {
  if (t.dtype() != DType::f64) {
    throw ArgumentError(fmt::format(
        "{}: needs float64 tensors (centred differences in float32 are too coarse), got {}", what,
        name_of(t.dtype())));
  }
}

// Adds delta to element i of a float64 tensor, returning the old value.
double nudge(Tensor& x, std::int64_t i, double delta) {
  double* data = x.data<double>();
  const double old = data[i];
  data[i] = old + delta;
  return old;
}

}  // namespace

Tensor eval_numerical_gradient(const std::function<double(const Tensor&)>& f, Tensor x, double h) {
  require_float64("eval_numerical_gradient", x);
  Tensor grad = Tensor::zeros(x.shape(), DType::f64);
  double* g = grad.data<double>();
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    const double old = nudge(x, i, h);
    const double plus = f(x);
    x.data<double>()[i] = old - h;
    const double minus = f(x);
    x.data<double>()[i] = old;
    g[i] = (plus - minus) / (2.0 * h);
  }
  return grad;
}

Tensor eval_numerical_gradient_array(const std::function<Tensor(const Tensor&)>& f, Tensor x,
                                     const Tensor& dout, double h) {
  require_float64("eval_numerical_gradient_array", x);
  require_float64("eval_numerical_gradient_array (dout)", dout);
  const std::vector<double> upstream = dout.to_vector();
  const auto evaluate = [&](const Tensor& at) {
    std::vector<double> values = f(at).to_vector();
    if (values.size() != upstream.size()) {
      throw ArgumentError(
          fmt::format("eval_numerical_gradient_array: f returned {} values but dout has shape {}",
                      values.size(), dout.shape().str()));
    }
    return values;
  };
  Tensor grad = Tensor::zeros(x.shape(), DType::f64);
  double* g = grad.data<double>();
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    const double old = nudge(x, i, h);
    const std::vector<double> plus = evaluate(x);
    x.data<double>()[i] = old - h;
    const std::vector<double> minus = evaluate(x);
    x.data<double>()[i] = old;
    // The seed's sum((pos - neg) * dout) / 2h: differences first, so outputs
    // that do not depend on x[i] cancel exactly instead of adding rounding noise.
    double sum = 0.0;
    for (std::size_t j = 0; j < plus.size(); ++j) sum += (plus[j] - minus[j]) * upstream[j];
    g[i] = sum / (2.0 * h);
  }
  return grad;
}

double GradientCheck::max_error() const {
  double worst = 0.0;
  for (double e : errors) {
    if (std::isnan(e)) return e;
    worst = std::max(worst, e);
  }
  return worst;
}

namespace {

// The values of all outputs, one after the other, as one flat float64 tensor.
Tensor concatenated(const std::vector<Tensor>& parts) {
  std::int64_t total = 0;
  for (const Tensor& part : parts) total += part.numel();
  Tensor flat = Tensor::empty({total}, DType::f64);
  double* out = flat.data<double>();
  for (const Tensor& part : parts) {
    for (double v : part.to_vector()) *out++ = v;
  }
  return flat;
}

}  // namespace

GradientCheck check_gradients(const OpUnderTest& op, const std::vector<Tensor>& inputs,
                              std::uint64_t seed, double h) {
  return check_gradients(
      MultiOpUnderTest([&op](const std::vector<Var>& vars) { return std::vector<Var>{op(vars)}; }),
      inputs, seed, h);
}

GradientCheck check_gradients(const MultiOpUnderTest& op, const std::vector<Tensor>& inputs,
                              std::uint64_t seed, double h) {
  for (const Tensor& input : inputs) require_float64("check_gradients", input);

  GradientCheck result;
  // Analytic: every input is a variable of one tape.
  Tape tape;
  std::vector<Var> vars;
  for (const Tensor& input : inputs) vars.push_back(tape.variable(input.clone()));
  const std::vector<Var> outs = op(vars);
  if (outs.empty()) throw ArgumentError("check_gradients: the op returned no outputs");
  Rng rng(seed);
  std::vector<Tensor> douts;
  for (const Var& out : outs) douts.push_back(Tensor::randn(out.shape(), rng, DType::f64));
  tape.backward(outs, douts);
  for (const Var& v : vars) {
    // An input the outputs do not depend on has a zero gradient.
    result.analytic.push_back(tape.has_grad(v) ? v.grad().clone()
                                               : Tensor::zeros(v.shape(), DType::f64));
  }
  // Numeric: perturb one input at a time, evaluating the op without
  // gradients. Each nudge is undone exactly, so one copy of the inputs
  // serves every input's turn.
  const Tensor dout = concatenated(douts);
  std::vector<Tensor> point;
  for (const Tensor& input : inputs) point.push_back(input.clone());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto f = [&](const Tensor& xi) {
      Tape eval(Tape::inference());
      std::vector<Var> args;
      for (std::size_t j = 0; j < point.size(); ++j) {
        args.push_back(eval.constant(j == i ? xi : point[j]));
      }
      std::vector<Tensor> values;
      for (const Var& out : op(args)) values.push_back(out.value());
      return concatenated(values);
    };
    result.numeric.push_back(eval_numerical_gradient_array(f, point[i], dout, h));
    result.errors.push_back(rel_error(result.analytic[i], result.numeric[i]));
  }
  return result;
}

}  // namespace tg
