// Spatial group normalization: x (N, C, H, W) with C split into G groups of
// C/G channels; statistics per (sample, group) over its channels and H, W;
// gamma and beta per channel. The same in training and at test time.
// Layer norm is the G = 1 case on the (N, D, 1, 1) view (ops/layers/layernorm.h).
#pragma once

#include <cstdint>

#include "graph/tape.h"
#include "graph/tensor.h"
#include "ops/kernels/normalization.h"

namespace tg {

struct GroupNormParams {
  std::int64_t groups = 1;
  double eps = 1e-5;
};

NormForward spatial_groupnorm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                      const GroupNormParams& params);
NormGrads spatial_groupnorm_backward(const Tensor& dout, const NormCache& cache);

// Tape op.
Var spatial_groupnorm(const Var& x, const Var& gamma, const Var& beta,
                      const GroupNormParams& params);

}  // namespace tg
