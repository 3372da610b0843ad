// The reference convolution: direct loops over every output and window
// element, written for clarity. Tests hold the fast path to it.
#pragma once

#include "ops/conv/conv2d.h"

namespace tg {

Conv2dForward conv2d_forward_naive(const Tensor& x, const Tensor& w, const Tensor& b,
                                   const Conv2dParams& params);
Conv2dGrads conv2d_backward_naive(const Tensor& dout, const Conv2dCache& cache);

}  // namespace tg
