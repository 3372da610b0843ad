#include "ops/conv/conv_transpose2d.h"

#include <algorithm>
#include <string>

#include "graph/checks.h"
#include "graph/format.h"
#include "graph/op.h"
#include "graph/parallel.h"
#include "ops/conv/conv2d_im2col.h"
#include "ops/conv/conv2d_onednn.h"
#include "ops/kernels/reductions.h"

namespace tg {

ConvTranspose2dGeometry conv_transpose2d_geometry(const char* op, const Tensor& x, const Tensor& w,
                                                  const ConvTranspose2dParams& params) {
  check_rank(op, "x", x, 4);
  check_rank(op, "w", w, 4);
  check_same_dtype(op, "x", x, "w", w);
  const std::int64_t s = params.stride, p = params.pad, op_pad = params.output_padding;
  if (s < 1) fail(op, "stride must be at least 1, got {}", s);
  if (p < 0) fail(op, "pad must not be negative, got {}", p);
  if (op_pad < 0) fail(op, "output_padding must not be negative, got {}", op_pad);
  ConvTranspose2dGeometry g{x.dim(0), x.dim(1), x.dim(2), x.dim(3), w.dim(1), w.dim(2),
                            w.dim(3), 0,        0,        s,        p,        op_pad};
  if (w.dim(0) != g.c_in) {
    fail(op, "input has {} channels but weight expects {} (x {}, w {}: (C_in, C_out, KH, KW))",
         g.c_in, w.dim(0), shape_str(x), shape_str(w));
  }
  g.oh = (g.h - 1) * s - 2 * p + g.kh + op_pad;
  g.ow = (g.w - 1) * s - 2 * p + g.kw + op_pad;
  if (op_pad >= s) {
    // A stride-s convolution of an OH-row input gives H + output_padding / s
    // rows (PyTorch's floor), never H.
    fail(op,
         "output_padding must be smaller than stride, got output_padding {} with stride {}: a "
         "transposed-conv output size that cannot be reached (a stride-{} convolution maps {}x{} "
         "to {}x{}, not {}x{}; x {}, w {}, pad {})",
         op_pad, s, s, g.oh, g.ow, g.h + op_pad / s, g.w + op_pad / s, g.h, g.w, shape_str(x),
         shape_str(w), p);
  }
  if (g.oh < 1 || g.ow < 1) {
    fail(op,
         "the output would be {}x{}: (H - 1) stride - 2 pad + KH + output_padding must be at "
         "least 1 (x {}, w {}, stride {}, pad {}, output_padding {})",
         g.oh, g.ow, shape_str(x), shape_str(w), s, p, op_pad);
  }
  return g;
}

namespace {

constexpr char kOp[] = "conv_transpose2d";

// oneDNN's backward_data pads the frame's channels (the output's) to a
// multiple of 16; below 16 im2col does less work (conv2d routes its dx by the
// same rule, ops/conv/conv2d.h).
constexpr std::int64_t kOneDnnMinDataChannels = 16;

// The conv2d over the frame (see the header): frame row r + top is output
// row r, and column c + top output column c.
struct Frame {
  Conv2dGeometry conv;
  std::int64_t top;
  bool is_output(const ConvTranspose2dGeometry& t) const {
    return top == 0 && conv.h == t.oh && conv.w == t.ow;
  }
};

Frame frame_of(const ConvTranspose2dGeometry& t) {
  const std::int64_t q = std::max<std::int64_t>(0, t.pad - t.output_padding);
  Conv2dGeometry g{};
  g.n = t.n;
  g.c = t.c_out;
  g.h = (t.h - 1) * t.stride + t.kh - 2 * q;
  g.w = (t.w - 1) * t.stride + t.kw - 2 * q;
  g.f = t.c_in;
  g.kh = t.kh;
  g.kw = t.kw;
  g.oh = t.h;
  g.ow = t.w;
  g.stride = t.stride;
  g.pad = q;
  return {g, t.pad - q};
}

Conv2dParams conv_params(const Frame& frame) {
  Conv2dParams params;
  params.stride = frame.conv.stride;
  params.pad = frame.conv.pad;
  return params;
}

// dst (N, C, rows, cols) = src (N, C, ., .) read from row and column offset
// `top` (zero where that falls outside src), plus bias[c] when bias is defined.
template <class T>
Tensor window(const Tensor& src, std::int64_t rows, std::int64_t cols, std::int64_t top,
              const Tensor& bias) {
  const std::int64_t planes = src.dim(0) * src.dim(1), channels = src.dim(1);
  const std::int64_t src_rows = src.dim(2), src_cols = src.dim(3);
  Tensor dst = Tensor::empty({src.dim(0), channels, rows, cols}, src.dtype());
  const T* from = src.data<T>();
  T* to = dst.data<T>();
  const T* b = bias.defined() ? bias.data<T>() : nullptr;
  // The columns j whose source column j + top lies in src.
  const std::int64_t first = std::clamp<std::int64_t>(-top, 0, cols);
  const std::int64_t last = std::clamp<std::int64_t>(src_cols - top, first, cols);
  parallel_for(planes, grain_for(rows * cols), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t plane = begin; plane < end; ++plane) {
      const T add = b != nullptr ? b[plane % channels] : T(0);
      for (std::int64_t i = 0; i < rows; ++i) {
        T* out = to + (plane * rows + i) * cols;
        const std::int64_t si = i + top;
        if (si < 0 || si >= src_rows) {
          std::fill(out, out + cols, add);
          continue;
        }
        const T* in = from + (plane * src_rows + si) * src_cols + top;
        std::fill(out, out + first, add);
        for (std::int64_t j = first; j < last; ++j) out[j] = in[j] + add;
        std::fill(out + last, out + cols, add);
      }
    }
  });
  return dst;
}

Tensor window(const Tensor& src, std::int64_t rows, std::int64_t cols, std::int64_t top,
              const Tensor& bias = Tensor()) {
  return dispatch(src.dtype(),
                  [&](auto zero) { return window<decltype(zero)>(src, rows, cols, top, bias); });
}

// db[o] = sum over n, i, j of dout[n, o, i, j]: each channel's sum on one
// thread, images in order.
Tensor channel_sums(const Tensor& dout) {
  const std::int64_t n = dout.dim(0), channels = dout.dim(1), plane = dout.dim(2) * dout.dim(3);
  Tensor db = Tensor::empty({channels}, dout.dtype());
  dispatch(dout.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* d = dout.data<T>();
    T* sums = db.data<T>();
    parallel_for(channels, grain_for(n * plane), [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t o = begin; o < end; ++o) {
        double sum = 0;
        for (std::int64_t image = 0; image < n; ++image) {
          sum += block_sum(d + (image * channels + o) * plane, plane);
        }
        sums[o] = static_cast<T>(sum);
      }
    });
  });
  return db;
}

bool forward_on_onednn(const Conv2dGeometry& g, DType dtype) {
  return dtype == DType::f32 && g.c >= kOneDnnMinDataChannels &&
         conv2d_onednn_has_direct_kernel(g, Conv2dPass::backward_data);
}

// conv2d's backward-data of x (as the upstream gradient) with w: the frame.
Tensor frame_from_input(const Frame& frame, const Tensor& x, const Tensor& w) {
  const Conv2dGeometry& g = frame.conv;
  return forward_on_onednn(g, x.dtype()) ? conv2d_onednn_backward_data(g, x, w)
                                         : conv2d_im2col_backward_data(g, x, w);
}

// The kernel conv2d_kernels names for one pass ("forward", "dw") of the frame's conv2d.
std::string conv2d_pass_kernel(const std::string& kernels, const std::string& pass) {
  const std::size_t begin = kernels.find(pass + " ") + pass.size() + 1;
  const std::size_t end = kernels.find(", ", begin);
  return kernels.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

}  // namespace

std::string conv_transpose2d_kernels(const ConvTranspose2dGeometry& t, DType dtype) {
  const Frame frame = frame_of(t);
  const std::string forward =
      forward_on_onednn(frame.conv, dtype)
          ? "onednn " + conv2d_onednn_implementation(frame.conv, Conv2dPass::backward_data)
          : std::string("im2col");
  const std::string conv = conv2d_kernels(frame.conv, dtype);
  return fmt::format("forward {}, dx {}, dw {}", forward, conv2d_pass_kernel(conv, "forward"),
                     conv2d_pass_kernel(conv, "dw"));
}

ConvTranspose2dForward conv_transpose2d_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                                                const ConvTranspose2dParams& params) {
  const ConvTranspose2dGeometry t = conv_transpose2d_geometry(kOp, x, w, params);
  check_conv2d_bias(kOp, x, b, t.c_out);
  const Frame frame = frame_of(t);
  Tensor out = window(frame_from_input(frame, x, w), t.oh, t.ow, frame.top, b);
  return {std::move(out), {x, w, params}};
}

ConvTranspose2dGrads conv_transpose2d_backward(const Tensor& dout,
                                               const ConvTranspose2dCache& cache, bool need_dx) {
  constexpr char kBackward[] = "conv_transpose2d backward";
  const ConvTranspose2dGeometry t =
      conv_transpose2d_geometry(kBackward, cache.x, cache.w, cache.params);
  check_shape(kBackward, "dout", dout, {t.n, t.c_out, t.oh, t.ow});
  check_same_dtype(kBackward, "dout", dout, "x", cache.x);
  const Frame frame = frame_of(t);
  const Tensor dframe =
      frame.is_output(t) ? dout : window(dout, frame.conv.h, frame.conv.w, -frame.top);
  const Conv2dParams params = conv_params(frame);
  ConvTranspose2dGrads grads;
  // dw: conv2d's weight gradient with x as its upstream gradient and the
  // frame of dout as its input (its db, the sums of x, is not used).
  grads.dw = conv2d_backward(cache.x, Conv2dCache{dframe, cache.w, params}, false).dw;
  grads.db = channel_sums(dout);
  if (need_dx) {
    grads.dx = conv2d_forward(dframe, cache.w, Tensor::zeros({t.c_in}, dout.dtype()), params).out;
  }
  return grads;
}

Var conv_transpose2d(const Var& x, const Var& w, const Var& b,
                     const ConvTranspose2dParams& params) {
  Op op(kOp, {x, w, b});
  auto [out, cache] = conv_transpose2d_forward(op.input(0), op.input(1), op.input(2), params);
  return op.finish(
      std::move(out), [cache = std::move(cache)](const Tensor& dout, InputGrads& grads) {
        ConvTranspose2dGrads g = conv_transpose2d_backward(dout, cache, grads.wants(0));
        grads.add(0, std::move(g.dx));
        grads.add(1, std::move(g.dw));
        grads.add(2, std::move(g.db));
      });
}

}  // namespace tg
