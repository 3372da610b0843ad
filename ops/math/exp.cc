#include "ops/math/exp.h"

#include <cmath>

#include "graph/op.h"
#include "ops/kernels/elementwise.h"

namespace tg {

Tensor exp_forward(const Tensor& x) {
  check_elementwise_input("exp", x);
  return map_elements(x, [](auto v) { return std::exp(v); });
}

Tensor exp_backward(const Tensor& dout, const Tensor& out) {
  check_elementwise_backward("exp backward", dout, "out", out);
  return map_elements(dout, out, [](auto d, auto y) { return d * y; });
}

Var exp(const Var& x) {
  Op op("exp", {x});
  Tensor out = exp_forward(op.input(0));
  return op.finish(
      out, [out](const Tensor& dout, InputGrads& grads) { grads.add(0, exp_backward(dout, out)); });
}

}  // namespace tg
