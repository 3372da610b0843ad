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

GradientCheck check_gradients(const OpUnderTest& op, const std::vector<Tensor>& inputs,
                              std::uint64_t seed, double h) {
  for (const Tensor& input : inputs) require_float64("check_gradients", input);

  GradientCheck result;
  // Analytic: every input is a variable of one tape.
  {
    Tape tape;
    std::vector<Var> vars;
    for (const Tensor& input : inputs) vars.push_back(tape.variable(input.clone()));
    Var out = op(vars);
    Rng rng(seed);
    const Tensor dout = Tensor::randn(out.shape(), rng, DType::f64);
    tape.backward(out, dout);
    for (const Var& v : vars) {
      // An input the output does not depend on has a zero gradient.
      result.analytic.push_back(tape.has_grad(v) ? v.grad().clone()
                                                 : Tensor::zeros(v.shape(), DType::f64));
    }
    // Numeric: perturb one input at a time, evaluating the op without
    // gradients. Each nudge is undone exactly, so one copy of the inputs
    // serves every input's turn.
    std::vector<Tensor> point;
    for (const Tensor& input : inputs) point.push_back(input.clone());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const auto f = [&](const Tensor& xi) {
        Tape eval(Tape::inference());
        std::vector<Var> args;
        for (std::size_t j = 0; j < point.size(); ++j) {
          args.push_back(eval.constant(j == i ? xi : point[j]));
        }
        return op(args).value();
      };
      result.numeric.push_back(eval_numerical_gradient_array(f, point[i], dout, h));
      result.errors.push_back(rel_error(result.analytic[i], result.numeric[i]));
    }
  }
  return result;
}

}  // namespace tg
