// Square root, elementwise: out = sqrt(x). Like NumPy, x < 0 gives NaN, and the gradient at 0 is
// infinite.
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

Tensor sqrt_forward(const Tensor& x);
// dx = dout / (2 out), from the forward's output.
Tensor sqrt_backward(const Tensor& dout, const Tensor& out);

// Tape op.
Var sqrt(const Var& x);

}  // namespace tg
