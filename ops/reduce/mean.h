// Means: of all elements (a scalar, shape ()) or over one axis, keeping it as
// size 1 (keepdim) or dropping it: the sums of ops/reduce/sum.h divided by the count.
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

Tensor mean_forward(const Tensor& x);
// dx = dout / numel(x) everywhere.
Tensor mean_backward(const Tensor& dout, const Shape& x_shape);

Tensor mean_forward(const Tensor& x, int axis, bool keepdim = false);
// dx = dout / size of the axis, broadcast back along it.
Tensor mean_backward(const Tensor& dout, const Shape& x_shape, int axis, bool keepdim = false);

// Tape ops.
Var mean(const Var& x);
Var mean(const Var& x, int axis, bool keepdim = false);

}  // namespace tg
