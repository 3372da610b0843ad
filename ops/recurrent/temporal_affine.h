// Temporal affine layer (the course's temporal_affine_forward/backward): the
// same affine map at every time step, out[n, t] = x[n, t] w + b, for x
// (N, T, D), w (D, M), b (M), out (N, T, M); one matrix product over the
// N*T rows.
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

struct TemporalAffineCache {
  Tensor x;  // (N, T, D)
  Tensor w;  // (D, M)
};

struct TemporalAffineForward {
  Tensor out;  // (N, T, M)
  TemporalAffineCache cache;
};

struct TemporalAffineGrads {
  Tensor dx;  // (N, T, D); undefined unless asked for
  Tensor dw;  // (D, M)
  Tensor db;  // (M)
};

TemporalAffineForward temporal_affine_forward(const Tensor& x, const Tensor& w, const Tensor& b);
TemporalAffineGrads temporal_affine_backward(const Tensor& dout, const TemporalAffineCache& cache,
                                             bool need_dx = true);

// Tape op.
Var temporal_affine(const Var& x, const Var& w, const Var& b);

}  // namespace tg
