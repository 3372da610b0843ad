#include "ops/math/sqrt.h"

#include <cmath>

#include "graph/op.h"
#include "ops/kernels/elementwise.h"

namespace tg {

Tensor sqrt_forward(const Tensor& x) {
  check_elementwise_input("sqrt", x);
  return map_elements(x, [](auto v) { return std::sqrt(v); });
}

Tensor sqrt_backward(const Tensor& dout, const Tensor& out) {
  check_elementwise_backward("sqrt backward", dout, "out", out);
  return map_elements(dout, out, [](auto d, auto y) { return d / (y + y); });
}

Var sqrt(const Var& x) {
  Op op("sqrt", {x});
  Tensor out = sqrt_forward(op.input(0));
  return op.finish(out, [out](const Tensor& dout, InputGrads& grads) {
    grads.add(0, sqrt_backward(dout, out));
  });
}

}  // namespace tg
