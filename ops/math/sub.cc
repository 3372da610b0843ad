#include "ops/math/sub.h"

#include "graph/checks.h"
#include "graph/op.h"
#include "ops/kernels/broadcast.h"
#include "ops/kernels/elementwise.h"

namespace tg {
namespace {

// -sum_to_shape(dout, shape): negated after the reduction, on fewer elements.
Tensor negated_sum_to(const Tensor& dout, const Shape& shape) {
  Tensor summed = sum_to_shape(dout, shape);
  return map_elements(summed, [](auto v) { return -v; });
}

}  // namespace

Tensor sub_forward(const Tensor& a, const Tensor& b) {
  check_min_rank("sub", "a", a, 0);
  check_min_rank("sub", "b", b, 0);
  check_same_dtype("sub", "a", a, "b", b);
  return broadcast_binary("sub", a, b, [](auto x, auto y) { return x - y; });
}

SubGrads sub_backward(const Tensor& dout, const Shape& a_shape, const Shape& b_shape) {
  check_shape("sub backward", "dout", dout,
              broadcast_shape("sub backward", "a", a_shape, "b", b_shape));
  return {sum_to_shape(dout, a_shape), negated_sum_to(dout, b_shape)};
}

Var sub(const Var& a, const Var& b) {
  Op op("sub", {a, b});
  const Shape a_shape = op.input(0).shape();
  const Shape b_shape = op.input(1).shape();
  return op.finish(sub_forward(op.input(0), op.input(1)),
                   [a_shape, b_shape](const Tensor& dout, InputGrads& grads) {
                     if (grads.wants(0)) grads.add(0, sum_to_shape(dout, a_shape));
                     if (grads.wants(1)) grads.add(1, negated_sum_to(dout, b_shape));
                   });
}

Var operator-(const Var& a, const Var& b) { return sub(a, b); }
Var operator-(const Var& x, double c) { return sub(x, scalar_constant(x, c)); }
Var operator-(double c, const Var& x) { return sub(scalar_constant(x, c), x); }

}  // namespace tg
