// Multiplication by a constant number: out = factor * x, any shape. neg(x)
// is -x (recorded as "neg"). x * c, c * x (ops/math/mul.h) and -x record these.
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

Tensor scale_forward(const Tensor& x, double factor);
// dx = factor * dout.
Tensor scale_backward(const Tensor& dout, double factor);

// Tape ops.
Var scale(const Var& x, double factor);
Var neg(const Var& x);
Var operator-(const Var& x);

}  // namespace tg
