#include "ops/math/pow.h"

#include <cmath>

#include "graph/op.h"
#include "ops/kernels/elementwise.h"

namespace tg {
namespace {

void check_exponent(std::string_view op, double exponent) {
  if (!std::isfinite(exponent)) fail(op, "the exponent must be finite, got {}", exponent);
}

}  // namespace

Tensor pow_forward(const Tensor& x, double exponent) {
  check_exponent("pow", exponent);
  check_elementwise_input("pow", x);
  return map_elements(
      x, [exponent](auto v) { return std::pow(v, static_cast<decltype(v)>(exponent)); });
}

Tensor pow_backward(const Tensor& dout, const Tensor& x, double exponent) {
  check_exponent("pow backward", exponent);
  check_elementwise_backward("pow backward", dout, "x", x);
  if (exponent == 0.0) return Tensor::zeros(x.shape(), x.dtype());  // not 0 * x^-1 = NaN at 0
  return map_elements(dout, x, [exponent](auto d, auto v) {
    using T = decltype(v);
    return d * static_cast<T>(exponent) * std::pow(v, static_cast<T>(exponent - 1.0));
  });
}

Var pow(const Var& x, double exponent) {
  Op op("pow", {x});
  const Tensor input = op.input(0);
  return op.finish(pow_forward(input, exponent),
                   [input, exponent](const Tensor& dout, InputGrads& grads) {
                     grads.add(0, pow_backward(dout, input, exponent));
                   });
}

}  // namespace tg
