// Max pooling (the seed's max_pool_forward / max_pool_backward). The fast
// path records the argmax of every window in forward, so backward is one
// scatter; overlapping windows are supported. ops/reference/max_pool2d_naive.h
// holds the direct-loop reference.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/tape.h"
#include "graph/tensor.h"
#include "ops/kernels/pool2d.h"

namespace tg {

struct MaxPool2dCache {
  Pool2dGeometry geometry;
  DType dtype;
  // For every output element, the index (row * W + col) of its window's
  // maximum within the input plane; the first maximum on ties.
  std::vector<std::int32_t> argmax;
};

struct MaxPool2dForward {
  Tensor out;
  MaxPool2dCache cache;
};

MaxPool2dForward max_pool2d_forward(const Tensor& x, const Pool2dParams& params);
Tensor max_pool2d_backward(const Tensor& dout, const MaxPool2dCache& cache);

// Tape op.
Var max_pool2d(const Var& x, const Pool2dParams& params);

}  // namespace tg
