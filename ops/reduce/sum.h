// Sums: of all elements (a scalar, shape ()) or over one axis, keeping it as
// size 1 (keepdim) or dropping it. Each output element is summed in double,
// in a fixed order (ops/kernels/broadcast.h's sum_to_shape), whatever the number of
// threads.
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

Tensor sum_forward(const Tensor& x);
// dx = dout (a scalar) broadcast to the shape of x.
Tensor sum_backward(const Tensor& dout, const Shape& x_shape);

Tensor sum_forward(const Tensor& x, int axis, bool keepdim = false);
// dx = dout broadcast back along the summed axis.
Tensor sum_backward(const Tensor& dout, const Shape& x_shape, int axis, bool keepdim = false);

// Tape ops.
Var sum(const Var& x);
Var sum(const Var& x, int axis, bool keepdim = false);

}  // namespace tg
