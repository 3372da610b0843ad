#include "ops/reduce/sum.h"

#include "graph/checks.h"
#include "graph/op.h"
#include "ops/kernels/axis.h"
#include "ops/kernels/broadcast.h"

namespace tg {

Tensor sum_forward(const Tensor& x) {
  check_min_rank("sum", "x", x, 0);
  return sum_to_shape(x, Shape{}).reshape(Shape{});
}

Tensor sum_backward(const Tensor& dout, const Shape& x_shape) {
  check_shape("sum backward", "dout", dout, {});
  return Tensor::full(x_shape, dout.item(), dout.dtype());
}

Tensor sum_forward(const Tensor& x, int axis, bool keepdim) {
  check_min_rank("sum", "x", x, 1);
  const int a = resolve_axis("sum", axis, x.shape());
  return sum_to_shape(x, reduced_shape(x.shape(), a, true))
      .reshape(reduced_shape(x.shape(), a, keepdim));
}

Tensor sum_backward(const Tensor& dout, const Shape& x_shape, int axis, bool keepdim) {
  const int a = resolve_axis("sum backward", axis, x_shape);
  check_shape("sum backward", "dout", dout, reduced_shape(x_shape, a, keepdim));
  return broadcast_to("sum backward", dout.reshape(reduced_shape(x_shape, a, true)), x_shape);
}

Var sum(const Var& x) {
  Op op("sum", {x});
  const Shape shape = op.input(0).shape();
  return op.finish(sum_forward(op.input(0)), [shape](const Tensor& dout, InputGrads& grads) {
    grads.add(0, sum_backward(dout, shape));
  });
}

Var sum(const Var& x, int axis, bool keepdim) {
  Op op("sum", {x});
  const Shape shape = op.input(0).shape();
  return op.finish(sum_forward(op.input(0), axis, keepdim),
                   [shape, axis, keepdim](const Tensor& dout, InputGrads& grads) {
                     grads.add(0, sum_backward(dout, shape, axis, keepdim));
                   });
}

}  // namespace tg
