// What max and average pooling share: the window parameters and the checked
// sizes. x (N, C, H, W) -> out (N, C, OH, OW), OH = 1 + (H - pool_height) / stride.
#pragma once

#include <cstdint>

#include "graph/tensor.h"

namespace tg {

struct Pool2dParams {
  std::int64_t pool_height = 2;
  std::int64_t pool_width = 2;
  std::int64_t stride = 2;
};

struct Pool2dGeometry {
  std::int64_t n, c, h, w;
  std::int64_t ph, pw, stride;
  std::int64_t oh, ow;
};

// Throws ArgumentError naming `op` for a wrong rank, a non-positive window or
// stride, a window larger than the input, or windows that do not tile it.
Pool2dGeometry pool2d_geometry(const char* op, const Tensor& x, const Pool2dParams& params);

// A backward's dout must be (N, C, OH, OW) of the dtype x had; returns an
// uninitialised dx (N, C, H, W) for it.
Tensor pool2d_dx_for(const char* op, const Tensor& dout, const Pool2dGeometry& g, DType x_dtype);

}  // namespace tg
