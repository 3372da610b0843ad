// 2-D transposed convolution, NCHW, as PyTorch's ConvTranspose2d (groups 1,
// dilation 1):
//   x (N, C_in, H, W), w (C_in, C_out, KH, KW), b (C_out) -> out (N, C_out, OH, OW),
//   OH = (H - 1) stride - 2 pad + KH + output_padding, OW likewise;
//   out[n, o, i s - pad + a, j s - pad + c] += x[n, i_c, i, j] w[i_c, o, a, c], plus b[o].
// output_padding (0 <= output_padding < stride) picks which of the stride
// input sizes a stride-s conv2d maps to H is produced; a larger one names a
// size no convolution maps to H and is refused.
//
// It is conv2d's backward with respect to its input, so it runs on conv2d's
// kernels (ops/conv/conv2d*.h), over a "frame": the input of the conv2d
// (w as its (F = C_in, C = C_out, KH, KW) filters, stride s, pad q) whose
// output has x's size, with q = pad - output_padding when that is not
// negative, else 0. The frame is the output shifted by top = pad - q rows
// and columns (frame row r + top is output row r); without output_padding
// the frame is the output.
//   forward   conv2d backward-data of x with w into the frame, then the
//             output's window of it plus b;
//   dx        conv2d forward of dout's frame (dout shifted back, zeros
//             outside) with w;
//   dw        conv2d backward-weights with the roles swapped: x as the
//             upstream gradient, dout's frame as the input;
//   db        the sums of dout per output channel.
// Each pass takes conv2d's kernels as conv2d routes them: oneDNN for float32
// (the forward on im2col below 16 output channels, where oneDNN's
// backward-data pads the channels to 16, or where oneDNN has no direct
// kernel), im2col + GEMM for float64. The bits do not depend on the number of
// threads. ops/reference/conv_transpose2d_naive.h has the direct-loop
// reference these are tested against.
#pragma once

#include <cstdint>
#include <string>

#include "graph/tape.h"
#include "graph/tensor.h"
#include "ops/conv/conv2d.h"

namespace tg {

struct ConvTranspose2dParams {
  std::int64_t stride = 1;
  std::int64_t pad = 0;
  std::int64_t output_padding = 0;
};

// Every size of one transposed convolution, checked: throws ArgumentError
// naming `op` for wrong ranks, channel or dtype mismatches, a bad stride,
// pad or output_padding (at least stride: an output size that cannot be
// reached), and an output smaller than one pixel. (The bias is checked by
// check_conv2d_bias with c_out filters.)
struct ConvTranspose2dGeometry {
  std::int64_t n, c_in, h, w;  // input
  std::int64_t c_out, kh, kw;  // filters
  std::int64_t oh, ow;         // output
  std::int64_t stride, pad, output_padding;
};
ConvTranspose2dGeometry conv_transpose2d_geometry(const char* op, const Tensor& x, const Tensor& w,
                                                  const ConvTranspose2dParams& params);

struct ConvTranspose2dCache {
  Tensor x;
  Tensor w;
  ConvTranspose2dParams params;
};

struct ConvTranspose2dForward {
  Tensor out;
  ConvTranspose2dCache cache;
};

// dx (undefined when not asked for), dw (C_in, C_out, KH, KW), db (C_out).
using ConvTranspose2dGrads = Conv2dGrads;

ConvTranspose2dForward conv_transpose2d_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                                                const ConvTranspose2dParams& params);
ConvTranspose2dGrads conv_transpose2d_backward(const Tensor& dout,
                                               const ConvTranspose2dCache& cache,
                                               bool need_dx = true);

// Which kernel runs each pass, as "forward im2col, dx onednn jit:avx512_core,
// dw onednn jit:avx512_core" (conv2d_kernels' format, for benchmark records).
std::string conv_transpose2d_kernels(const ConvTranspose2dGeometry& g, DType dtype);

// Tape op.
Var conv_transpose2d(const Var& x, const Var& w, const Var& b, const ConvTranspose2dParams& params);

}  // namespace tg
