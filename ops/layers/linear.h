// Affine layer (the seed's affine_forward/affine_backward): out = x W + b,
// with x of shape (N, d_1, ..., d_k) viewed as (N, D), D = d_1 * ... * d_k,
// W of shape (D, M) and b of shape (M).
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

struct LinearCache {
  Tensor x;  // as given, not reshaped
  Tensor w;
};

struct LinearForward {
  Tensor out;  // (N, M)
  LinearCache cache;
};

struct LinearGrads {
  Tensor dx;  // shape of x (undefined when not asked for)
  Tensor dw;
  Tensor db;
};

LinearForward linear_forward(const Tensor& x, const Tensor& w, const Tensor& b);
LinearGrads linear_backward(const Tensor& dout, const LinearCache& cache, bool need_dx = true);

// Tape op.
Var linear(const Var& x, const Var& w, const Var& b);

}  // namespace tg
