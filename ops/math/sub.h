// Elementwise difference with NumPy broadcasting (ops/kernels/broadcast.h).
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

Tensor sub_forward(const Tensor& a, const Tensor& b);

struct SubGrads {
  Tensor da;  // dout summed back to the shape of a
  Tensor db;  // -dout summed back to the shape of b
};

SubGrads sub_backward(const Tensor& dout, const Shape& a_shape, const Shape& b_shape);

// Tape op, also as a - b; x - c and c - x subtract with a scalar constant.
Var sub(const Var& a, const Var& b);
Var operator-(const Var& a, const Var& b);
Var operator-(const Var& x, double c);
Var operator-(double c, const Var& x);

}  // namespace tg
