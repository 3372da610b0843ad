// Elementwise sum with NumPy broadcasting (ops/kernels/broadcast.h): a (2,3) + b (3),
// x (N,C,H,W) + bias (1,C,1,1), x + a scalar ().
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

Tensor add_forward(const Tensor& a, const Tensor& b);

struct AddGrads {
  Tensor da;  // dout summed back to the shape of a
  Tensor db;  // dout summed back to the shape of b
};

// The upstream gradient goes to both inputs, summed over the axes each was
// broadcast along (dout itself, no copy, where no axis was).
AddGrads add_backward(const Tensor& dout, const Shape& a_shape, const Shape& b_shape);

// Tape op, also as a + b; x + c and c + x add a scalar constant.
Var add(const Var& a, const Var& b);
Var operator+(const Var& a, const Var& b);
Var operator+(const Var& x, double c);
Var operator+(double c, const Var& x);

}  // namespace tg
