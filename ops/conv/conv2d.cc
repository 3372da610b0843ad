#include "ops/conv/conv2d.h"

#include "graph/checks.h"
#include "graph/format.h"
#include "graph/op.h"
#include "ops/conv/conv2d_im2col.h"
#include "ops/conv/conv2d_onednn.h"

namespace tg {

Conv2dGeometry conv2d_geometry(const char* op, const Tensor& x, const Tensor& w,
                               const Conv2dParams& params) {
  check_rank(op, "x", x, 4);
  check_rank(op, "w", w, 4);
  check_same_dtype(op, "x", x, "w", w);
  if (params.stride < 1) fail(op, "stride must be at least 1, got {}", params.stride);
  if (params.pad < 0) fail(op, "pad must not be negative, got {}", params.pad);
  Conv2dGeometry g{x.dim(0), x.dim(1), x.dim(2), x.dim(3),      w.dim(0),  w.dim(2),
                   w.dim(3), 0,        0,        params.stride, params.pad};
  if (w.dim(1) != g.c) {
    fail(op, "input has {} channels but weight expects {} (x {}, w {})", g.c, w.dim(1),
         shape_str(x), shape_str(w));
  }
  const std::int64_t span_h = g.h + 2 * g.pad - g.kh;
  const std::int64_t span_w = g.w + 2 * g.pad - g.kw;
  if (span_h < 0 || span_w < 0) {
    fail(op, "the {}x{} filter is larger than the padded input {}x{} (x {}, w {}, pad {})", g.kh,
         g.kw, g.h + 2 * g.pad, g.w + 2 * g.pad, shape_str(x), shape_str(w), g.pad);
  }
  if (span_h % g.stride != 0 || span_w % g.stride != 0) {
    fail(op,
         "the windows do not tile the input: (H + 2*pad - HH, W + 2*pad - WW) = ({}, {}) is not "
         "divisible by stride {} (x {}, w {}, pad {})",
         span_h, span_w, g.stride, shape_str(x), shape_str(w), g.pad);
  }
  g.oh = 1 + span_h / g.stride;
  g.ow = 1 + span_w / g.stride;
  return g;
}

void check_conv2d_bias(const char* op, const Tensor& x, const Tensor& b, std::int64_t filters) {
  check_vector(op, "b", b, filters);
  check_same_dtype(op, "x", x, "b", b);
}

namespace {

constexpr char kOp[] = "conv2d";

// oneDNN's backward_data pads the channels to a multiple of 16: below 16
// channels (an RGB input) it does 3x the work of im2col.
constexpr std::int64_t kOneDnnMinDataChannels = 16;

// The routing of ops/conv/conv2d.h.
bool forward_on_onednn(const Conv2dGeometry& g, DType dtype) {
  return dtype == DType::f32 && conv2d_onednn_has_direct_kernel(g, Conv2dPass::forward);
}
bool dx_on_onednn(const Conv2dGeometry& g, DType dtype) {
  return dtype == DType::f32 && g.c >= kOneDnnMinDataChannels &&
         conv2d_onednn_has_direct_kernel(g, Conv2dPass::backward_data);
}
bool dw_on_onednn(DType dtype) { return dtype == DType::f32; }

}  // namespace

std::string conv2d_kernels(const Conv2dGeometry& g, DType dtype) {
  const auto name = [&](bool onednn, Conv2dPass pass) {
    return onednn ? "onednn " + conv2d_onednn_implementation(g, pass) : std::string("im2col");
  };
  return fmt::format("forward {}, dx {}, dw {}",
                     name(forward_on_onednn(g, dtype), Conv2dPass::forward),
                     name(dx_on_onednn(g, dtype), Conv2dPass::backward_data),
                     name(dw_on_onednn(dtype), Conv2dPass::backward_weights));
}

Conv2dForward conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                             const Conv2dParams& params) {
  const Conv2dGeometry g = conv2d_geometry(kOp, x, w, params);
  check_conv2d_bias(kOp, x, b, g.f);
  Tensor out = forward_on_onednn(g, x.dtype()) ? conv2d_onednn_forward(g, x, w, b)
                                               : conv2d_im2col_forward(g, x, w, b);
  return {std::move(out), {x, w, params}};
}

Conv2dGrads conv2d_backward(const Tensor& dout, const Conv2dCache& cache, bool need_dx) {
  const Conv2dGeometry g = conv2d_geometry("conv2d backward", cache.x, cache.w, cache.params);
  check_shape("conv2d backward", "dout", dout, {g.n, g.f, g.oh, g.ow});
  check_same_dtype("conv2d backward", "dout", dout, "x", cache.x);
  Conv2dGrads grads = dw_on_onednn(dout.dtype()) ? conv2d_onednn_backward_weights(g, dout, cache.x)
                                                 : conv2d_im2col_backward_weights(g, dout, cache.x);
  if (need_dx) {
    grads.dx = dx_on_onednn(g, dout.dtype()) ? conv2d_onednn_backward_data(g, dout, cache.w)
                                             : conv2d_im2col_backward_data(g, dout, cache.w);
  }
  return grads;
}

Var conv2d(const Var& x, const Var& w, const Var& b, const Conv2dParams& params) {
  Op op(kOp, {x, w, b});
  auto [out, cache] = conv2d_forward(op.input(0), op.input(1), op.input(2), params);
  return op.finish(std::move(out),
                   [cache = std::move(cache)](const Tensor& dout, InputGrads& grads) {
                     Conv2dGrads g = conv2d_backward(dout, cache, grads.wants(0));
                     grads.add(0, std::move(g.dx));
                     grads.add(1, std::move(g.dw));
                     grads.add(2, std::move(g.db));
                   });
}

}  // namespace tg
