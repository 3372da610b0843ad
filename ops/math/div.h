// Elementwise quotient a / b with NumPy broadcasting (ops/kernels/broadcast.h).
// Division by zero gives infinities or NaNs as in IEEE arithmetic
// (Tape::Options::detect_anomaly names the op that made them).
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

struct DivCache {
  Shape a_shape;
  Tensor b;
  Tensor out;  // a / b
};

struct DivForward {
  Tensor out;
  DivCache cache;
};

struct DivGrads {
  Tensor da;  // dout / b, summed back to the shape of a
  Tensor db;  // -dout * a / b^2 = -(dout / b) * out, summed back to the shape of b
};

DivForward div_forward(const Tensor& a, const Tensor& b);
// Computes only the gradients asked for (the others stay undefined).
DivGrads div_backward(const Tensor& dout, const DivCache& cache, bool need_da = true,
                      bool need_db = true);

// Tape op, also as a / b; x / c and c / x divide with a scalar constant.
Var div(const Var& a, const Var& b);
Var operator/(const Var& a, const Var& b);
Var operator/(const Var& x, double c);
Var operator/(double c, const Var& x);

}  // namespace tg
