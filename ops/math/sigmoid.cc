#include "ops/math/sigmoid.h"

#include <cmath>

#include "graph/op.h"
#include "ops/kernels/elementwise.h"

namespace tg {

Tensor sigmoid_forward(const Tensor& x) {
  check_elementwise_input("sigmoid", x);
  return map_elements(x, [](auto v) {
    // e = e^-|v| never overflows: sigmoid(v) = 1 / (1 + e) for v >= 0 and
    // e / (1 + e) for v < 0.
    const auto e = std::exp(-std::abs(v));
    const auto s = 1 / (1 + e);
    return v >= 0 ? s : e * s;
  });
}

Tensor sigmoid_backward(const Tensor& dout, const Tensor& out) {
  check_elementwise_backward("sigmoid backward", dout, "out", out);
  return map_elements(dout, out, [](auto d, auto y) { return d * y * (1 - y); });
}

Var sigmoid(const Var& x) {
  Op op("sigmoid", {x});
  Tensor out = sigmoid_forward(op.input(0));
  return op.finish(out, [out](const Tensor& dout, InputGrads& grads) {
    grads.add(0, sigmoid_backward(dout, out));
  });
}

}  // namespace tg
