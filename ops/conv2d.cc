#include "ops/conv2d.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "graph/checks.h"
#include "graph/eigen.h"
#include "graph/op.h"
#include "graph/parallel.h"
#include "ops/reductions.h"

namespace tg {

Conv2dGeometry conv2d_geometry(const char* op, const Tensor& x, const Tensor& w,
                               const Conv2dParams& params) {
  check_rank(op, "x", x, 4);
  check_rank(op, "w", w, 4);
  check_same_dtype(op, "x", x, "w", w);
  if (params.stride < 1) fail(op, "stride must be at least 1, got {}", params.stride);
  if (params.pad < 0) fail(op, "pad must not be negative, got {}", params.pad);
  Conv2dGeometry g{x.dim(0), x.dim(1), x.dim(2), x.dim(3), w.dim(0), w.dim(2), w.dim(3),
                   0,        0,        params.stride, params.pad};
  if (w.dim(1) != g.c) {
    fail(op, "input has {} channels but weight expects {} (x {}, w {})", g.c, w.dim(1),
         shape_str(x), shape_str(w));
  }
  if (g.pad >= g.kh || g.pad >= g.kw) {
    fail(op, "pad {} must be smaller than the filter {}x{} (x {}, w {})", g.pad, g.kh, g.kw,
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

constexpr const char* kOp = "conv2d";

// A 1x1 filter at stride 1 without padding reads the input as it is: the
// im2col matrix of an image is the image.
bool is_pointwise(const Conv2dGeometry& g) {
  return g.kh == 1 && g.kw == 1 && g.stride == 1 && g.pad == 0;
}

// The output columns ow whose input column ow * stride - pad + k lies inside [0, width).
void valid_range(std::int64_t k, std::int64_t width, std::int64_t out, const Conv2dGeometry& g,
                 std::int64_t& first, std::int64_t& last) {
  const std::int64_t offset = g.pad - k;  // input = ow * stride - offset
  first = offset > 0 ? (offset + g.stride - 1) / g.stride : 0;
  last = std::min(out, (width + offset + g.stride - 1) / g.stride);
  if (last < first) last = first;
}

// Unrolls one image (C, H, W) into col (C*KH*KW, OH*OW): row (c, kh, kw)
// holds the input pixel each output position sees through that filter tap.
template <class T>
void im2col(const T* image, const Conv2dGeometry& g, T* col) {
  const std::int64_t plane = g.oh * g.ow;
  for (std::int64_t c = 0; c < g.c; ++c)
    for (std::int64_t kh = 0; kh < g.kh; ++kh)
      for (std::int64_t kw = 0; kw < g.kw; ++kw) {
        T* row = col + ((c * g.kh + kh) * g.kw + kw) * plane;
        std::int64_t first, last;
        valid_range(kw, g.w, g.ow, g, first, last);
        for (std::int64_t oh = 0; oh < g.oh; ++oh) {
          T* dst = row + oh * g.ow;
          const std::int64_t ih = oh * g.stride - g.pad + kh;
          // Rows are short (tens of elements): plain loops the compiler
          // inlines beat calls to memset and memmove.
          if (ih < 0 || ih >= g.h) {
            for (std::int64_t ow = 0; ow < g.ow; ++ow) dst[ow] = T(0);
            continue;
          }
          const T* src = image + (c * g.h + ih) * g.w + kw - g.pad;
          for (std::int64_t ow = 0; ow < first; ++ow) dst[ow] = T(0);
          if (g.stride == 1) {
#pragma omp simd
            for (std::int64_t ow = first; ow < last; ++ow) dst[ow] = src[ow];
          } else {
            for (std::int64_t ow = first; ow < last; ++ow) dst[ow] = src[ow * g.stride];
          }
          for (std::int64_t ow = last; ow < g.ow; ++ow) dst[ow] = T(0);
        }
      }
}

// The adjoint of im2col: adds every entry of col back onto the pixel it was
// read from. image must be zeroed by the caller.
template <class T>
void col2im(const T* col, const Conv2dGeometry& g, T* image) {
  const std::int64_t plane = g.oh * g.ow;
  for (std::int64_t c = 0; c < g.c; ++c)
    for (std::int64_t kh = 0; kh < g.kh; ++kh)
      for (std::int64_t kw = 0; kw < g.kw; ++kw) {
        const T* row = col + ((c * g.kh + kh) * g.kw + kw) * plane;
        std::int64_t first, last;
        valid_range(kw, g.w, g.ow, g, first, last);
        for (std::int64_t oh = 0; oh < g.oh; ++oh) {
          const std::int64_t ih = oh * g.stride - g.pad + kh;
          if (ih < 0 || ih >= g.h) continue;
          const T* src = row + oh * g.ow;
          T* dst = image + (c * g.h + ih) * g.w + kw - g.pad;
          for (std::int64_t ow = first; ow < last; ++ow) dst[ow * g.stride] += src[ow];
        }
      }
}

template <class T>
Tensor forward(const Conv2dGeometry& g, const Tensor& x, const Tensor& w, const Tensor& b) {
  Tensor out = Tensor::empty({g.n, g.f, g.oh, g.ow}, x.dtype());
  const std::int64_t taps = g.c * g.kh * g.kw;
  const std::int64_t plane = g.oh * g.ow;
  const auto weights = as_matrix<T>(w, g.f, taps);
  const auto bias = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(b.data<T>(), g.f);
  const T* images = x.data<T>();
  T* outputs = out.data<T>();
  parallel_for(g.n, 1, [&](std::int64_t first, std::int64_t last) {
    Tensor col = is_pointwise(g) ? Tensor() : Tensor::empty({taps, plane}, x.dtype());
    for (std::int64_t n = first; n < last; ++n) {
      const T* image = images + n * g.c * g.h * g.w;
      if (!is_pointwise(g)) im2col(image, g, col.data<T>());
      const T* unrolled = is_pointwise(g) ? image : col.data<T>();
      MatrixView<T> o(outputs + n * g.f * plane, g.f, plane);
      o.noalias() = weights * ConstMatrixView<T>(unrolled, taps, plane);
      o.colwise() += bias;
    }
  });
  return out;
}

template <class T>
Conv2dGrads backward(const Conv2dGeometry& g, const Tensor& dout, const Conv2dCache& cache,
                     bool need_dx) {
  const std::int64_t taps = g.c * g.kh * g.kw;
  const std::int64_t plane = g.oh * g.ow;
  const std::int64_t image_size = g.c * g.h * g.w;
  Conv2dGrads grads;
  grads.dw = Tensor::zeros(cache.w.shape(), dout.dtype());
  grads.db = Tensor::zeros({g.f}, dout.dtype());
  if (need_dx) grads.dx = Tensor::empty(cache.x.shape(), dout.dtype());

  const auto weights = as_matrix<T>(cache.w, g.f, taps);
  const T* images = cache.x.data<T>();
  const T* upstream = dout.data<T>();
  // Each thread sums dW and db over its images into its own part; the parts
  // are added in image order afterwards, so results do not depend on timing.
  struct Part {
    std::int64_t first_image;
    Tensor dw, db;
  };
  std::vector<Part> parts;
  parallel_for(g.n, 1, [&](std::int64_t first, std::int64_t last) {
    Tensor col = is_pointwise(g) ? Tensor() : Tensor::empty({taps, plane}, dout.dtype());
    Tensor dcol = is_pointwise(g) || !need_dx ? Tensor() : Tensor::empty({taps, plane}, dout.dtype());
    Part part{first, Tensor::zeros(cache.w.shape(), dout.dtype()), Tensor::zeros({g.f}, dout.dtype())};
    auto dw_local = as_matrix<T>(part.dw, g.f, taps);
    T* db_local = part.db.template data<T>();
    for (std::int64_t n = first; n < last; ++n) {
      for (std::int64_t f = 0; f < g.f; ++f) {
        db_local[f] += static_cast<T>(block_sum(upstream + (n * g.f + f) * plane, plane));
      }
      const T* image = images + n * image_size;
      if (!is_pointwise(g)) im2col(image, g, col.data<T>());
      const ConstMatrixView<T> unrolled(is_pointwise(g) ? image : col.data<T>(), taps, plane);
      const ConstMatrixView<T> d(upstream + n * g.f * plane, g.f, plane);
      // dW = sum_n dout_n col_n^T
      dw_local.noalias() += d * unrolled.transpose();
      if (!need_dx) continue;
      // dx_n = col2im(W^T dout_n)
      T* dx_image = grads.dx.template data<T>() + n * image_size;
      if (is_pointwise(g)) {
        MatrixView<T>(dx_image, taps, plane).noalias() = weights.transpose() * d;
      } else {
        MatrixView<T>(dcol.data<T>(), taps, plane).noalias() = weights.transpose() * d;
        std::fill(dx_image, dx_image + image_size, T(0));
        col2im(dcol.data<T>(), g, dx_image);
      }
    }
#pragma omp critical(conv2d_parts)
    parts.push_back(std::move(part));
  });
  std::sort(parts.begin(), parts.end(),
            [](const Part& a, const Part& b) { return a.first_image < b.first_image; });
  for (const Part& part : parts) {
    grads.dw.add_(part.dw);
    grads.db.add_(part.db);
  }
  return grads;
}

}  // namespace

Conv2dForward conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                             const Conv2dParams& params) {
  const Conv2dGeometry g = conv2d_geometry(kOp, x, w, params);
  check_conv2d_bias(kOp, x, b, g.f);
  Tensor out = dispatch(x.dtype(), [&](auto zero) { return forward<decltype(zero)>(g, x, w, b); });
  return {std::move(out), {x, w, params}};
}

Conv2dGrads conv2d_backward(const Tensor& dout, const Conv2dCache& cache, bool need_dx) {
  const Conv2dGeometry g = conv2d_geometry("conv2d backward", cache.x, cache.w, cache.params);
  check_shape("conv2d backward", "dout", dout, {g.n, g.f, g.oh, g.ow});
  check_same_dtype("conv2d backward", "dout", dout, "x", cache.x);
  return dispatch(dout.dtype(),
                  [&](auto zero) { return backward<decltype(zero)>(g, dout, cache, need_dx); });
}

Var conv2d(const Var& x, const Var& w, const Var& b, const Conv2dParams& params) {
  Op op(kOp, {x, w, b});
  auto [out, cache] = conv2d_forward(op.input(0), op.input(1), op.input(2), params);
  return op.finish(std::move(out), [cache = std::move(cache)](const Tensor& dout,
                                                              InputGrads& grads) {
    Conv2dGrads g = conv2d_backward(dout, cache, grads.wants(0));
    grads.add(0, std::move(g.dx));
    grads.add(1, std::move(g.dw));
    grads.add(2, std::move(g.db));
  });
}

}  // namespace tg
