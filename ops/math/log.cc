#include "ops/math/log.h"

#include <cmath>

#include "graph/op.h"
#include "ops/kernels/elementwise.h"

namespace tg {

Tensor log_forward(const Tensor& x) {
  check_elementwise_input("log", x);
  return map_elements(x, [](auto v) { return std::log(v); });
}

Tensor log_backward(const Tensor& dout, const Tensor& x) {
  check_elementwise_backward("log backward", dout, "x", x);
  return map_elements(dout, x, [](auto d, auto v) { return d / v; });
}

Var log(const Var& x) {
  Op op("log", {x});
  const Tensor input = op.input(0);
  return op.finish(log_forward(input), [input](const Tensor& dout, InputGrads& grads) {
    grads.add(0, log_backward(dout, input));
  });
}

}  // namespace tg
