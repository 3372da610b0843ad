#include "ops/math/tanh.h"

#include <cmath>

#include "graph/op.h"
#include "ops/kernels/elementwise.h"

namespace tg {

Tensor tanh_forward(const Tensor& x) {
  check_elementwise_input("tanh", x);
  return map_elements(x, [](auto v) { return std::tanh(v); });
}

Tensor tanh_backward(const Tensor& dout, const Tensor& out) {
  check_elementwise_backward("tanh backward", dout, "out", out);
  return map_elements(dout, out, [](auto d, auto y) { return d * (1 - y * y); });
}

Var tanh(const Var& x) {
  Op op("tanh", {x});
  Tensor out = tanh_forward(op.input(0));
  return op.finish(out, [out](const Tensor& dout, InputGrads& grads) {
    grads.add(0, tanh_backward(dout, out));
  });
}

}  // namespace tg
