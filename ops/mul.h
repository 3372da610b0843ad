// Elementwise product of two tensors of the same shape.
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

struct MulCache {
  Tensor a;
  Tensor b;
};

struct MulForward {
  Tensor out;
  MulCache cache;
};

struct MulGrads {
  Tensor da;  // dout * b
  Tensor db;  // dout * a
};

MulForward mul_forward(const Tensor& a, const Tensor& b);
MulGrads mul_backward(const Tensor& dout, const MulCache& cache);

// Tape op, also as a * b.
Var mul(const Var& a, const Var& b);
Var operator*(const Var& a, const Var& b);

}  // namespace tg
