#include "ops/reduce/mean.h"

#include "graph/checks.h"
#include "graph/op.h"
#include "ops/kernels/axis.h"
#include "ops/reduce/sum.h"

namespace tg {
namespace {

// t / count. A sum over one element may share its input's storage (it is a
// view then), so it is returned as it is rather than scaled in place by 1.
Tensor divided(Tensor t, std::int64_t count) {
  if (count != 1) t.scale_(1.0 / static_cast<double>(count));
  return t;
}

std::int64_t axis_size(std::string_view op, const Shape& shape, int axis) {
  return shape[resolve_axis(op, axis, shape)];
}

}  // namespace

Tensor mean_forward(const Tensor& x) {
  check_min_rank("mean", "x", x, 0);
  return divided(sum_forward(x), x.numel());
}

Tensor mean_backward(const Tensor& dout, const Shape& x_shape) {
  check_shape("mean backward", "dout", dout, {});
  return divided(sum_backward(dout, x_shape), x_shape.numel());
}

Tensor mean_forward(const Tensor& x, int axis, bool keepdim) {
  check_min_rank("mean", "x", x, 1);
  const std::int64_t count = axis_size("mean", x.shape(), axis);
  return divided(sum_forward(x, axis, keepdim), count);
}

Tensor mean_backward(const Tensor& dout, const Shape& x_shape, int axis, bool keepdim) {
  const std::int64_t count = axis_size("mean backward", x_shape, axis);
  check_shape("mean backward", "dout", dout,
              reduced_shape(x_shape, resolve_axis("mean backward", axis, x_shape), keepdim));
  return divided(sum_backward(dout, x_shape, axis, keepdim), count);
}

Var mean(const Var& x) {
  Op op("mean", {x});
  const Shape shape = op.input(0).shape();
  return op.finish(mean_forward(op.input(0)), [shape](const Tensor& dout, InputGrads& grads) {
    grads.add(0, mean_backward(dout, shape));
  });
}

Var mean(const Var& x, int axis, bool keepdim) {
  Op op("mean", {x});
  const Shape shape = op.input(0).shape();
  return op.finish(mean_forward(op.input(0), axis, keepdim),
                   [shape, axis, keepdim](const Tensor& dout, InputGrads& grads) {
                     grads.add(0, mean_backward(dout, shape, axis, keepdim));
                   });
}

}  // namespace tg
