#include "ops/math/gelu.h"

#include <cmath>

#include "graph/op.h"
#include "ops/kernels/elementwise.h"

namespace tg {
namespace {

constexpr double kSqrtHalf = 0.70710678118654752440;     // 1 / sqrt(2)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;   // 1 / sqrt(2 pi)
constexpr double kSqrt2OverPi = 0.79788456080286535588;  // sqrt(2 / pi)
constexpr double kCubic = 0.044715;

// Exact: gelu(x) = x Phi(x); gelu'(x) = Phi(x) + x phi(x), phi the normal density.
template <class T>
T exact(T x) {
  return x * T(0.5) * (1 + std::erf(x * T(kSqrtHalf)));
}
template <class T>
T exact_derivative(T x) {
  const T cdf = T(0.5) * (1 + std::erf(x * T(kSqrtHalf)));
  return cdf + x * T(kInvSqrt2Pi) * std::exp(T(-0.5) * x * x);
}

// Tanh form: gelu(x) = x (1 + tanh u) / 2 with u = sqrt(2/pi) (x + c x^3);
// gelu'(x) = (1 + tanh u) / 2 + x (1 - tanh^2 u) / 2 * sqrt(2/pi) (1 + 3 c x^2).
template <class T>
T tanh_form(T x) {
  const T t = std::tanh(T(kSqrt2OverPi) * (x + T(kCubic) * x * x * x));
  return T(0.5) * x * (1 + t);
}
template <class T>
T tanh_form_derivative(T x) {
  const T t = std::tanh(T(kSqrt2OverPi) * (x + T(kCubic) * x * x * x));
  const T du = T(kSqrt2OverPi) * (1 + T(3 * kCubic) * x * x);
  return T(0.5) * (1 + t) + T(0.5) * x * (1 - t * t) * du;
}

}  // namespace

Tensor gelu_forward(const Tensor& x, GeluApproximation approximate) {
  check_elementwise_input("gelu", x);
  if (approximate == GeluApproximation::tanh) {
    return map_elements(x, [](auto v) { return tanh_form(v); });
  }
  return map_elements(x, [](auto v) { return exact(v); });
}

Tensor gelu_backward(const Tensor& dout, const Tensor& x, GeluApproximation approximate) {
  check_elementwise_backward("gelu backward", dout, "x", x);
  if (approximate == GeluApproximation::tanh) {
    return map_elements(dout, x, [](auto d, auto v) { return d * tanh_form_derivative(v); });
  }
  return map_elements(dout, x, [](auto d, auto v) { return d * exact_derivative(v); });
}

Var gelu(const Var& x, GeluApproximation approximate) {
  Op op("gelu", {x});
  const Tensor input = op.input(0);
  return op.finish(gelu_forward(input, approximate),
                   [input, approximate](const Tensor& dout, InputGrads& grads) {
                     grads.add(0, gelu_backward(dout, input, approximate));
                   });
}

}  // namespace tg
