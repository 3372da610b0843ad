// Elementwise sum of two tensors of the same shape.
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

Tensor add_forward(const Tensor& a, const Tensor& b);
// d(a + b): the upstream gradient goes unchanged to both inputs.

// Tape op, also as a + b.
Var add(const Var& a, const Var& b);
Var operator+(const Var& a, const Var& b);

}  // namespace tg
