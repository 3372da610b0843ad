// Batch normalization of (N, D) (the seed's batchnorm_forward/backward):
// statistics per feature over the batch. It is spatial batch norm on the
// (N, D, 1, 1) view, so both share one kernel and one BatchNormState.
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"
#include "ops/layers/spatial_batchnorm.h"

namespace tg {

NormForward batchnorm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                              BatchNormState& state);
// The simplified closed form: dx = gamma / (N sigma) (N dout - sum dout - x_hat sum(dout x_hat)).
NormGrads batchnorm_backward(const Tensor& dout, const NormCache& cache);

// Tape op.
Var batchnorm(const Var& x, const Var& gamma, const Var& beta, BatchNormState& state);

}  // namespace tg
