#include "ops/conv/conv2d_im2col.h"

#include <algorithm>
#include <vector>

#include "graph/eigen.h"
#include "graph/parallel.h"
#include "ops/kernels/reductions.h"

namespace tg {
namespace {

// backward_weights sums dW over at most this many groups of images: enough to keep 2 to 8 threads
// busy, few enough that the partial sums cost little.
constexpr std::int64_t kMaxImageGroups = 8;

// A 1x1 filter at stride 1 without padding reads the input as it is: the
// im2col matrix of an image is the image.
bool is_pointwise(const Conv2dGeometry& g) {
  return g.kh == 1 && g.kw == 1 && g.stride == 1 && g.pad == 0;
}

// Working on a padded copy of the image, (C, H + 2 pad, W + 2 pad) with zero
// borders, removes every bounds test from im2col and col2im: each row of the
// unrolled matrix is then a run of plain copies (4x faster than clipping each
// run to the image, measured on both benchmark convolutions).
std::int64_t padded_height(const Conv2dGeometry& g) { return g.h + 2 * g.pad; }
std::int64_t padded_width(const Conv2dGeometry& g) { return g.w + 2 * g.pad; }

template <class T>
void pad_image(const T* image, const Conv2dGeometry& g, T* padded) {
  const std::int64_t hp = padded_height(g), wp = padded_width(g);
  std::fill(padded, padded + g.c * hp * wp, T(0));
  for (std::int64_t c = 0; c < g.c; ++c)
    for (std::int64_t i = 0; i < g.h; ++i) {
      const T* src = image + (c * g.h + i) * g.w;
      T* dst = padded + (c * hp + i + g.pad) * wp + g.pad;
      std::copy(src, src + g.w, dst);
    }
}

// The interior of a padded image, the adjoint of pad_image's copy.
template <class T>
void unpad_image(const T* padded, const Conv2dGeometry& g, T* image) {
  const std::int64_t hp = padded_height(g), wp = padded_width(g);
  for (std::int64_t c = 0; c < g.c; ++c)
    for (std::int64_t i = 0; i < g.h; ++i) {
      const T* src = padded + (c * hp + i + g.pad) * wp + g.pad;
      std::copy(src, src + g.w, image + (c * g.h + i) * g.w);
    }
}

// Unrolls one padded image into col (C*KH*KW, OH*OW): row (c, kh, kw) holds
// the pixel each output position sees through that filter tap.
template <class T>
void im2col(const T* padded, const Conv2dGeometry& g, T* col) {
  const std::int64_t hp = padded_height(g), wp = padded_width(g), plane = g.oh * g.ow;
  for (std::int64_t c = 0; c < g.c; ++c)
    for (std::int64_t kh = 0; kh < g.kh; ++kh)
      for (std::int64_t kw = 0; kw < g.kw; ++kw) {
        T* row = col + ((c * g.kh + kh) * g.kw + kw) * plane;
        const T* tap = padded + (c * hp + kh) * wp + kw;
        for (std::int64_t oh = 0; oh < g.oh; ++oh) {
          const T* src = tap + oh * g.stride * wp;
          T* dst = row + oh * g.ow;
          if (g.stride == 1) {
#pragma omp simd
            for (std::int64_t ow = 0; ow < g.ow; ++ow) dst[ow] = src[ow];
          } else {
            for (std::int64_t ow = 0; ow < g.ow; ++ow) dst[ow] = src[ow * g.stride];
          }
        }
      }
}

// The adjoint of im2col: adds every entry of col back onto the padded pixel
// it was read from. padded must be zeroed by the caller.
template <class T>
void col2im(const T* col, const Conv2dGeometry& g, T* padded) {
  const std::int64_t hp = padded_height(g), wp = padded_width(g), plane = g.oh * g.ow;
  for (std::int64_t c = 0; c < g.c; ++c)
    for (std::int64_t kh = 0; kh < g.kh; ++kh)
      for (std::int64_t kw = 0; kw < g.kw; ++kw) {
        const T* row = col + ((c * g.kh + kh) * g.kw + kw) * plane;
        T* tap = padded + (c * hp + kh) * wp + kw;
        for (std::int64_t oh = 0; oh < g.oh; ++oh) {
          const T* src = row + oh * g.ow;
          T* dst = tap + oh * g.stride * wp;
          if (g.stride == 1) {
#pragma omp simd
            for (std::int64_t ow = 0; ow < g.ow; ++ow) dst[ow] += src[ow];
          } else {
            for (std::int64_t ow = 0; ow < g.ow; ++ow) dst[ow * g.stride] += src[ow];
          }
        }
      }
}

// Scratch space of one thread: the padded image and the unrolled matrix.
template <class T>
struct Scratch {
  Scratch(const Conv2dGeometry& g, DType dtype, bool need_dcol) {
    if (is_pointwise(g)) return;
    const std::int64_t taps = g.c * g.kh * g.kw, plane = g.oh * g.ow;
    if (g.pad > 0) padded = Tensor::empty({g.c, padded_height(g), padded_width(g)}, dtype);
    col = Tensor::empty({taps, plane}, dtype);
    if (need_dcol) dcol = Tensor::empty({taps, plane}, dtype);
  }
  Tensor padded, col, dcol;
};

// The (C*KH*KW, OH*OW) unrolled matrix of one image: the image itself for a
// pointwise conv, else im2col of it (padded first when pad > 0).
template <class T>
const T* unroll(const T* image, const Conv2dGeometry& g, Scratch<T>& scratch) {
  if (is_pointwise(g)) return image;
  const T* source = image;
  if (g.pad > 0) {
    pad_image(image, g, scratch.padded.template data<T>());
    source = scratch.padded.template data<T>();
  }
  im2col(source, g, scratch.col.template data<T>());
  return scratch.col.template data<T>();
}

// dx of one image from its unrolled gradient scratch.dcol: col2im, into the
// padded copy first when pad > 0.
template <class T>
void fold(const Conv2dGeometry& g, Scratch<T>& scratch, T* dx_image) {
  const T* dcol = scratch.dcol.template data<T>();
  if (g.pad == 0) {
    std::fill(dx_image, dx_image + g.c * g.h * g.w, T(0));
    col2im(dcol, g, dx_image);
    return;
  }
  T* padded = scratch.padded.template data<T>();
  std::fill(padded, padded + scratch.padded.numel(), T(0));
  col2im(dcol, g, padded);
  unpad_image(padded, g, dx_image);
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
    Scratch<T> scratch(g, x.dtype(), /*need_dcol=*/false);
    for (std::int64_t n = first; n < last; ++n) {
      const T* unrolled = unroll(images + n * g.c * g.h * g.w, g, scratch);
      MatrixView<T> o(outputs + n * g.f * plane, g.f, plane);
      o.noalias() = weights * ConstMatrixView<T>(unrolled, taps, plane);
      o.colwise() += bias;
    }
  });
  return out;
}

template <class T>
Tensor backward_data(const Conv2dGeometry& g, const Tensor& dout, const Tensor& w) {
  const std::int64_t taps = g.c * g.kh * g.kw;
  const std::int64_t plane = g.oh * g.ow;
  const std::int64_t image_size = g.c * g.h * g.w;
  Tensor dx = Tensor::empty({g.n, g.c, g.h, g.w}, dout.dtype());
  const auto weights = as_matrix<T>(w, g.f, taps);
  const T* upstream = dout.data<T>();
  T* dx_images = dx.data<T>();
  parallel_for(g.n, 1, [&](std::int64_t first, std::int64_t last) {
    Scratch<T> scratch(g, dout.dtype(), /*need_dcol=*/true);
    for (std::int64_t n = first; n < last; ++n) {
      // dx_n = col2im(W^T dout_n)
      const ConstMatrixView<T> d(upstream + n * g.f * plane, g.f, plane);
      T* dx_image = dx_images + n * image_size;
      if (is_pointwise(g)) {
        MatrixView<T>(dx_image, taps, plane).noalias() = weights.transpose() * d;
      } else {
        MatrixView<T>(scratch.dcol.template data<T>(), taps, plane).noalias() =
            weights.transpose() * d;
        fold(g, scratch, dx_image);
      }
    }
  });
  return dx;
}

template <class T>
Conv2dGrads backward_weights(const Conv2dGeometry& g, const Tensor& dout, const Tensor& x) {
  const std::int64_t taps = g.c * g.kh * g.kw;
  const std::int64_t plane = g.oh * g.ow;
  const std::int64_t image_size = g.c * g.h * g.w;
  const T* images = x.data<T>();
  const T* upstream = dout.data<T>();
  // dW and db sum over the images. The images are cut into fixed groups (at
  // most kMaxImageGroups, sized from N alone); each group sums into its own
  // part, and the parts are added in group order. So the additions and their
  // order are the same for any number of threads: the same bits.
  const std::int64_t groups = std::clamp<std::int64_t>(g.n, 1, kMaxImageGroups);
  const std::int64_t group_size = (g.n + groups - 1) / groups;
  std::vector<Tensor> dw_parts(static_cast<std::size_t>(groups));
  std::vector<Tensor> db_parts(static_cast<std::size_t>(groups));
  parallel_for(groups, 1, [&](std::int64_t first_group, std::int64_t last_group) {
    Scratch<T> scratch(g, dout.dtype(), /*need_dcol=*/false);
    for (std::int64_t group = first_group; group < last_group; ++group) {
      Tensor& dw_part = dw_parts[group] = Tensor::zeros({g.f, g.c, g.kh, g.kw}, dout.dtype());
      Tensor& db_part = db_parts[group] = Tensor::zeros({g.f}, dout.dtype());
      auto dw_local = as_matrix<T>(dw_part, g.f, taps);
      T* db_local = db_part.template data<T>();
      const std::int64_t last_image = std::min(g.n, (group + 1) * group_size);
      for (std::int64_t n = group * group_size; n < last_image; ++n) {
        for (std::int64_t f = 0; f < g.f; ++f) {
          db_local[f] += static_cast<T>(block_sum(upstream + (n * g.f + f) * plane, plane));
        }
        const ConstMatrixView<T> unrolled(unroll(images + n * image_size, g, scratch), taps, plane);
        const ConstMatrixView<T> d(upstream + n * g.f * plane, g.f, plane);
        // dW = sum_n dout_n col_n^T
        dw_local.noalias() += d * unrolled.transpose();
      }
    }
  });
  Conv2dGrads grads;
  grads.dw = Tensor::zeros({g.f, g.c, g.kh, g.kw}, dout.dtype());
  grads.db = Tensor::zeros({g.f}, dout.dtype());
  for (std::int64_t group = 0; group < groups; ++group) {
    grads.dw.add_(dw_parts[group]);
    grads.db.add_(db_parts[group]);
  }
  return grads;
}

}  // namespace

Tensor conv2d_im2col_forward(const Conv2dGeometry& g, const Tensor& x, const Tensor& w,
                             const Tensor& b) {
  return dispatch(x.dtype(), [&](auto zero) { return forward<decltype(zero)>(g, x, w, b); });
}

Tensor conv2d_im2col_backward_data(const Conv2dGeometry& g, const Tensor& dout, const Tensor& w) {
  return dispatch(dout.dtype(),
                  [&](auto zero) { return backward_data<decltype(zero)>(g, dout, w); });
}

Conv2dGrads conv2d_im2col_backward_weights(const Conv2dGeometry& g, const Tensor& dout,
                                           const Tensor& x) {
  return dispatch(dout.dtype(),
                  [&](auto zero) { return backward_weights<decltype(zero)>(g, dout, x); });
}

}  // namespace tg
