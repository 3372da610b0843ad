// Leaky rectified linear unit, elementwise: out = x for x > 0, slope * x
// otherwise (PyTorch's default slope 0.01).
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

Tensor leaky_relu_forward(const Tensor& x, double slope = 0.01);
// dx = dout where x > 0, slope * dout elsewhere.
Tensor leaky_relu_backward(const Tensor& dout, const Tensor& x, double slope = 0.01);

// Tape op.
Var leaky_relu(const Var& x, double slope = 0.01);

}  // namespace tg
