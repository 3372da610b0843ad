#include "ops/math/leaky_relu.h"

#include <cmath>

#include "graph/op.h"
#include "ops/kernels/elementwise.h"

namespace tg {
namespace {

void check_slope(std::string_view op, double slope) {
  if (!std::isfinite(slope)) fail(op, "slope must be finite, got {}", slope);
}

}  // namespace

Tensor leaky_relu_forward(const Tensor& x, double slope) {
  check_slope("leaky_relu", slope);
  check_elementwise_input("leaky_relu", x);
  return map_elements(x, [slope](auto v) {
    const auto a = static_cast<decltype(v)>(slope);
    return v > 0 ? v : a * v;
  });
}

Tensor leaky_relu_backward(const Tensor& dout, const Tensor& x, double slope) {
  check_slope("leaky_relu backward", slope);
  check_elementwise_backward("leaky_relu backward", dout, "x", x);
  return map_elements(dout, x, [slope](auto d, auto v) {
    const auto a = static_cast<decltype(v)>(slope);
    return v > 0 ? d : a * d;
  });
}

Var leaky_relu(const Var& x, double slope) {
  Op op("leaky_relu", {x});
  const Tensor input = op.input(0);
  return op.finish(leaky_relu_forward(input, slope),
                   [input, slope](const Tensor& dout, InputGrads& grads) {
                     grads.add(0, leaky_relu_backward(dout, input, slope));
                   });
}

}  // namespace tg
