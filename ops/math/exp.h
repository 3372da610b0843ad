// Exponential, elementwise: out = e^x.
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

Tensor exp_forward(const Tensor& x);
// dx = dout * out, from the forward's output.
Tensor exp_backward(const Tensor& dout, const Tensor& out);

// Tape op.
Var exp(const Var& x);

}  // namespace tg
