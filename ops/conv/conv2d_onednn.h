// conv2d's float32 kernels on oneDNN (Debian's libdnnl-dev 2.6, the library
// PyTorch's CPU convolutions run on): JIT-compiled direct convolutions in
// blocked layouts, 1.5x less work than im2col + Eigen on the benchmark layers.
// Tensors stay plain NCHW / OIHW: each call reorders its inputs into the
// layouts oneDNN chose and its outputs back. Tested against
// ops/reference/conv2d_naive.h. The geometry comes from conv2d_geometry,
// already checked; every tensor is float32.
//
// Threads. oneDNN fixes its work split when a primitive is created, from
// the OpenMP thread count at that moment:
//   - forward and backward_data split the outputs only, so their bits do not
//     depend on the thread count; they run on omp_get_max_threads() threads.
//   - backward_weights would sum per-thread parts of dW, so it is not asked
//     to: the images are cut into chunks of kImagesPerWeightChunk, each chunk
//     computed by a one-thread primitive on one of tapegrad's parallel_for
//     threads, and the chunks' dW and db added in chunk order. The same bits
//     for any thread count.
// Before each call the FTZ/DAZ flags of graph/float_env.h are set on every
// OpenMP thread oneDNN will use (oneDNN does not touch them).
//
// Calls from inside an OpenMP parallel region are allowed: they run on the
// calling thread alone, with one-thread primitives (oneDNN's multi-threaded
// backward_weights would wait forever there at its reduction barrier), and
// give the same bits.
//
// Process-wide state: the primitives (JIT-compiled code, no tensors) are made
// on the first call for a shape, pass and thread count, and kept for the life
// of the process in a cache guarded by a mutex. The first call of a shape
// costs 10-200 ms (compilation, page faults); later ones run at speed. The
// buffers in oneDNN's layouts and its scratchpad are allocated per call.
// Concurrent calls from several threads are safe.
#pragma once

#include <cstdint>
#include <string>

#include "graph/tensor.h"
#include "ops/conv/conv2d.h"

namespace tg {

// Images per backward_weights chunk: enough for oneDNN's kernels to run at
// full speed, small enough to keep a few threads busy on a batch of 64.
constexpr std::int64_t kImagesPerWeightChunk = 8;

// out = conv(x, w) + b.
Tensor conv2d_onednn_forward(const Conv2dGeometry& g, const Tensor& x, const Tensor& w,
                             const Tensor& b);

// dx, the gradient of <out, dout> with respect to x.
Tensor conv2d_onednn_backward_data(const Conv2dGeometry& g, const Tensor& dout, const Tensor& w);

// dw and db (dx is left undefined), summed over chunks of images as above.
Conv2dGrads conv2d_onednn_backward_weights(const Conv2dGeometry& g, const Tensor& dout,
                                           const Tensor& x);

enum class Conv2dPass { forward, backward_data, backward_weights };

// True when oneDNN has a direct JIT kernel for this pass of this geometry
// ("jit:avx512_core", "jit_1x1:avx512_core", ...), whose threads split the
// outputs only. Where those kernels decline (a pad larger than the filter),
// oneDNN falls back to im2col and its own GEMM ("x64:gemm:jit"), whose
// threaded sums follow the thread count (measured): conv2d uses its own
// im2col there. backward_weights runs on one thread per chunk: always true.
bool conv2d_onednn_has_direct_kernel(const Conv2dGeometry& g, Conv2dPass pass);

// "jit:avx512_core" and the like: the implementation oneDNN picked for this
// pass of this geometry at the current thread count (backward_weights: for
// one chunk), for benchmark records and tests.
std::string conv2d_onednn_implementation(const Conv2dGeometry& g, Conv2dPass pass);

}  // namespace tg
