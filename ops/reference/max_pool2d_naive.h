// The reference max pooling: direct loops over windows, written for clarity.
// Backward finds each window's maximum again and routes the gradient there.
#pragma once

#include "graph/tensor.h"
#include "ops/kernels/pool2d.h"

namespace tg {

struct MaxPool2dNaiveCache {
  Tensor x;
  Pool2dParams params;
};

struct MaxPool2dNaiveForward {
  Tensor out;
  MaxPool2dNaiveCache cache;
};

MaxPool2dNaiveForward max_pool2d_forward_naive(const Tensor& x, const Pool2dParams& params);
Tensor max_pool2d_backward_naive(const Tensor& dout, const MaxPool2dNaiveCache& cache);

}  // namespace tg
