// 2-D convolution, NCHW (the seed's conv_forward / conv_backward):
//   x (N, C, H, W), w (F, C, HH, WW), b (F) -> out (N, F, OH, OW),
//   OH = 1 + (H + 2 pad - HH) / stride, OW likewise; zero padding.
// conv2d_forward/backward route each pass to a kernel:
//   float32 dw and db          oneDNN (ops/conv/conv2d_onednn.h)
//   float32 forward            oneDNN where it has a direct kernel (not for a
//                              pad larger than the filter), else im2col
//   float32 dx, C >= 16        the same
//   float32 dx, C < 16         im2col + GEMM (ops/conv/conv2d_im2col.h): oneDNN
//                              pads C to 16 there, 3x the work
//   float64, every pass        im2col + GEMM (oneDNN has no float64)
// Either way the bits do not depend on the number of threads (they do
// depend on the CPU's instruction set, which picks oneDNN's kernels).
// ops/reference/conv2d_naive.h has the direct-loop reference both kernels
// are tested against.
#pragma once

#include <cstdint>
#include <string>

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

struct Conv2dParams {
  std::int64_t stride = 1;
  std::int64_t pad = 0;
};

struct Conv2dCache {
  Tensor x;
  Tensor w;
  Conv2dParams params;
};

struct Conv2dForward {
  Tensor out;
  Conv2dCache cache;
};

struct Conv2dGrads {
  Tensor dx;  // undefined when not asked for
  Tensor dw;
  Tensor db;
};

// Every size of one convolution, checked: throws ArgumentError naming `op`
// for wrong ranks, channel or dtype mismatches, a bad stride or pad, and a
// window that does not tile the padded input exactly. (The bias is checked
// by check_conv2d_bias.)
struct Conv2dGeometry {
  std::int64_t n, c, h, w;  // input
  std::int64_t f, kh, kw;   // filters
  std::int64_t oh, ow;      // output
  std::int64_t stride, pad;
};
Conv2dGeometry conv2d_geometry(const char* op, const Tensor& x, const Tensor& w,
                               const Conv2dParams& params);
void check_conv2d_bias(const char* op, const Tensor& x, const Tensor& b, std::int64_t filters);

Conv2dForward conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                             const Conv2dParams& params);
Conv2dGrads conv2d_backward(const Tensor& dout, const Conv2dCache& cache, bool need_dx = true);

// Which kernel runs each pass of this convolution, as "forward onednn
// jit:avx512_core, dx im2col, dw onednn jit:avx512_core" (for benchmark
// records: oneDNN picks its kernels by the CPU's instruction set).
std::string conv2d_kernels(const Conv2dGeometry& g, DType dtype);

// Tape op.
Var conv2d(const Var& x, const Var& w, const Var& b, const Conv2dParams& params);

}  // namespace tg
