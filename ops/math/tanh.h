// Hyperbolic tangent, elementwise: out = tanh(x).
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

Tensor tanh_forward(const Tensor& x);
// dx = dout * (1 - out^2), from the forward's output.
Tensor tanh_backward(const Tensor& dout, const Tensor& out);

// Tape op.
Var tanh(const Var& x);

}  // namespace tg
