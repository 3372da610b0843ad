// Sum of all elements: a scalar (shape ()).
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

Tensor sum_forward(const Tensor& x);
// dx = dout (a scalar) broadcast to the shape of x.
Tensor sum_backward(const Tensor& dout, const Shape& x_shape);

// Tape op.
Var sum(const Var& x);

}  // namespace tg
