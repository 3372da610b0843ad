// Elementwise choice: out = a where mask is 1, b where it is 0, with NumPy
// broadcasting among mask, a and b (ops/kernels/broadcast.h). The mask is a constant
// tensor of 0s and 1s (float32 or float64, any other value is rejected); it
// gets no gradient. a's gradient is dout where the mask is 1, b's where it is
// 0, each summed back to its shape.
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

struct WhereCache {
  Tensor mask;  // broadcast to the output's shape, in its dtype
  Shape a_shape;
  Shape b_shape;
};

struct WhereForward {
  Tensor out;
  WhereCache cache;
};

struct WhereGrads {
  Tensor da;
  Tensor db;
};

WhereForward where_forward(const Tensor& mask, const Tensor& a, const Tensor& b);
// Computes only the gradients asked for (the others stay undefined).
WhereGrads where_backward(const Tensor& dout, const WhereCache& cache, bool need_da = true,
                          bool need_db = true);

// Tape op.
Var where(const Tensor& mask, const Var& a, const Var& b);

}  // namespace tg
