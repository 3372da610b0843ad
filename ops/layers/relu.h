// Rectified linear unit: out = max(x, 0), any shape.
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

struct ReluCache {
  Tensor x;
};

struct ReluForward {
  Tensor out;
  ReluCache cache;
};

ReluForward relu_forward(const Tensor& x);
// dx = dout where x > 0, else 0.
Tensor relu_backward(const Tensor& dout, const ReluCache& cache);

// Tape op.
Var relu(const Var& x);

}  // namespace tg
