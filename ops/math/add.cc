#include "ops/math/add.h"

#include "graph/checks.h"
#include "graph/op.h"
#include "ops/kernels/broadcast.h"
#include "ops/kernels/elementwise.h"

namespace tg {

Tensor add_forward(const Tensor& a, const Tensor& b) {
  check_min_rank("add", "a", a, 0);
  check_min_rank("add", "b", b, 0);
  check_same_dtype("add", "a", a, "b", b);
  return broadcast_binary("add", a, b, [](auto x, auto y) { return x + y; });
}

AddGrads add_backward(const Tensor& dout, const Shape& a_shape, const Shape& b_shape) {
  check_shape("add backward", "dout", dout,
              broadcast_shape("add backward", "a", a_shape, "b", b_shape));
  return {sum_to_shape(dout, a_shape), sum_to_shape(dout, b_shape)};
}

Var add(const Var& a, const Var& b) {
  Op op("add", {a, b});
  const Shape a_shape = op.input(0).shape();
  const Shape b_shape = op.input(1).shape();
  return op.finish(add_forward(op.input(0), op.input(1)),
                   [a_shape, b_shape](const Tensor& dout, InputGrads& grads) {
                     if (grads.wants(0)) grads.add(0, sum_to_shape(dout, a_shape));
                     if (grads.wants(1)) grads.add(1, sum_to_shape(dout, b_shape));
                   });
}

Var operator+(const Var& a, const Var& b) { return add(a, b); }
Var operator+(const Var& x, double c) { return add(x, scalar_constant(x, c)); }
Var operator+(double c, const Var& x) { return add(scalar_constant(x, c), x); }

}  // namespace tg
