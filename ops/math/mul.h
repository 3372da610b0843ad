// Elementwise product with NumPy broadcasting (ops/kernels/broadcast.h): x (N,C,H,W)
// * scale (1,C,1,1), a (N,D) * b (D), x * a scalar ().
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
  Tensor da;  // dout * b, summed back to the shape of a
  Tensor db;  // dout * a, summed back to the shape of b
};

MulForward mul_forward(const Tensor& a, const Tensor& b);
// Computes only the gradients asked for (the others stay undefined).
MulGrads mul_backward(const Tensor& dout, const MulCache& cache, bool need_da = true,
                      bool need_db = true);

// Tape op, also as a * b. x * c and c * x are scale(x, c) (ops/math/scale.h).
Var mul(const Var& a, const Var& b);
Var operator*(const Var& a, const Var& b);
Var operator*(const Var& x, double c);
Var operator*(double c, const Var& x);

}  // namespace tg
