// Layer normalization of (N, D): statistics per example over its D features,
// gamma and beta per feature; the same in training and at test time. It is
// group norm with one group on the (N, D, 1, 1) view.
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"
#include "ops/kernels/normalization.h"

namespace tg {

NormForward layernorm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                              double eps = 1e-5);
NormGrads layernorm_backward(const Tensor& dout, const NormCache& cache);

// Tape op.
Var layernorm(const Var& x, const Var& gamma, const Var& beta, double eps = 1e-5);

}  // namespace tg
