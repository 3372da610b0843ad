// The reference transposed convolution: direct loops scattering every input
// pixel through the filter, written for clarity (PyTorch's ConvTranspose2d:
// out[n, o, i s - pad + a, j s - pad + c] += x[n, k, i, j] w[k, o, a, c]).
// Tests hold conv_transpose2d's conv2d-based path to it.
#pragma once

#include "ops/conv/conv_transpose2d.h"

namespace tg {

ConvTranspose2dForward conv_transpose2d_forward_naive(const Tensor& x, const Tensor& w,
                                                      const Tensor& b,
                                                      const ConvTranspose2dParams& params);
ConvTranspose2dGrads conv_transpose2d_backward_naive(const Tensor& dout,
                                                     const ConvTranspose2dCache& cache);

}  // namespace tg
