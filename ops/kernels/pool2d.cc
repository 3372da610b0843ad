#include "ops/kernels/pool2d.h"

#include "graph/checks.h"

namespace tg {

Pool2dGeometry pool2d_geometry(const char* op, const Tensor& x, const Pool2dParams& params) {
  check_rank(op, "x", x, 4);
  if (params.pool_height < 1 || params.pool_width < 1) {
    fail(op, "the pooling window must be at least 1x1, got {}x{}", params.pool_height,
         params.pool_width);
  }
  if (params.stride < 1) fail(op, "stride must be at least 1, got {}", params.stride);
  Pool2dGeometry g{x.dim(0),          x.dim(1),      x.dim(2), x.dim(3), params.pool_height,
                   params.pool_width, params.stride, 0,        0};
  if (g.ph > g.h || g.pw > g.w) {
    fail(op, "the {}x{} window is larger than the input (x {})", g.ph, g.pw, shape_str(x));
  }
  if ((g.h - g.ph) % g.stride != 0 || (g.w - g.pw) % g.stride != 0) {
    fail(op,
         "the windows do not tile the input: (H - pool_height, W - pool_width) = ({}, {}) is not "
         "divisible by stride {} (x {})",
         g.h - g.ph, g.w - g.pw, g.stride, shape_str(x));
  }
  g.oh = 1 + (g.h - g.ph) / g.stride;
  g.ow = 1 + (g.w - g.pw) / g.stride;
  return g;
}

Tensor pool2d_dx_for(const char* op, const Tensor& dout, const Pool2dGeometry& g, DType x_dtype) {
  check_shape(op, "dout", dout, {g.n, g.c, g.oh, g.ow});
  if (dout.dtype() != x_dtype) {
    fail(op, "dout is {} but x was {}", name_of(dout.dtype()), name_of(x_dtype));
  }
  return Tensor::empty({g.n, g.c, g.h, g.w}, dout.dtype());
}

}  // namespace tg
