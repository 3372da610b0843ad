// conv2d's im2col kernels: each image unrolled into a (C*KH*KW, OH*OW)
// matrix, then one Eigen GEMM per image. Float32 and float64; float64 always
// runs here (gradient checks), float32 where oneDNN is not used (dx of inputs
// with few channels, see ops/conv/conv2d.h). Tested against
// ops/reference/conv2d_naive.h. The geometry comes from conv2d_geometry,
// already checked.
#pragma once

#include "graph/tensor.h"
#include "ops/conv/conv2d.h"

namespace tg {

// out = conv(x, w) + b, threaded over the images.
Tensor conv2d_im2col_forward(const Conv2dGeometry& g, const Tensor& x, const Tensor& w,
                             const Tensor& b);

// dx = col2im(W^T dout_n) for each image n, threaded over the images.
Tensor conv2d_im2col_backward_data(const Conv2dGeometry& g, const Tensor& dout, const Tensor& w);

// dw = sum_n dout_n col_n^T and db = the sums of dout per filter (dx is left
// undefined). The images are cut into groups sized from N alone, summed in
// group order: the same bits for any number of threads.
Conv2dGrads conv2d_im2col_backward_weights(const Conv2dGeometry& g, const Tensor& dout,
                                           const Tensor& x);

}  // namespace tg
