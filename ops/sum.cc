#include "ops/sum.h"

#include "graph/checks.h"
#include "graph/op.h"

namespace tg {

Tensor sum_forward(const Tensor& x) {
  check_min_rank("sum", "x", x, 0);
  double total = 0.0;
  dispatch(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* data = x.data<T>();
    for (std::int64_t i = 0; i < x.numel(); ++i) total += data[i];
  });
  return Tensor::full({}, total, x.dtype());
}

Tensor sum_backward(const Tensor& dout, const Shape& x_shape) {
  check_shape("sum backward", "dout", dout, {});
  return Tensor::full(x_shape, dout.item(), dout.dtype());
}

Var sum(const Var& x) {
  Op op("sum", {x});
  const Shape shape = op.input(0).shape();
  return op.finish(sum_forward(op.input(0)), [shape](const Tensor& dout, InputGrads& grads) {
    grads.add(0, sum_backward(dout, shape));
  });
}

}  // namespace tg
