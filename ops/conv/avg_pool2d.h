// Average pooling: each output is the mean of its window; backward spreads
// dout evenly over the window (overlapping windows add up).
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"
#include "ops/kernels/pool2d.h"

namespace tg {

struct AvgPool2dCache {
  Pool2dGeometry geometry;
  DType dtype;
};

struct AvgPool2dForward {
  Tensor out;
  AvgPool2dCache cache;
};

AvgPool2dForward avg_pool2d_forward(const Tensor& x, const Pool2dParams& params);
Tensor avg_pool2d_backward(const Tensor& dout, const AvgPool2dCache& cache);

// Tape op.
Var avg_pool2d(const Var& x, const Pool2dParams& params);

}  // namespace tg
