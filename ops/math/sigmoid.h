// Logistic sigmoid, elementwise: out = 1 / (1 + e^-x), computed without
// overflow for large |x|.
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

Tensor sigmoid_forward(const Tensor& x);
// dx = dout * out * (1 - out), from the forward's output.
Tensor sigmoid_backward(const Tensor& dout, const Tensor& out);

// Tape op.
Var sigmoid(const Var& x);

}  // namespace tg
