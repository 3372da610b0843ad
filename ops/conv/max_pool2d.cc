#include "ops/conv/max_pool2d.h"

#include <algorithm>

#include "graph/checks.h"
#include "graph/op.h"
#include "graph/parallel.h"

namespace tg {
namespace {

constexpr char kOp[] = "max_pool2d";

// 2x2 windows at stride 2, the common case: four loads, three compares.
template <class T>
void pool_plane_2x2(const T* x, const Pool2dGeometry& g, T* out, std::int32_t* argmax) {
  for (std::int64_t i = 0; i < g.oh; ++i) {
    const T* top = x + 2 * i * g.w;
    const T* bottom = top + g.w;
    for (std::int64_t j = 0; j < g.ow; ++j) {
      const std::int64_t col = 2 * j;
      T best = top[col];
      std::int64_t at = 2 * i * g.w + col;
      if (top[col + 1] > best) best = top[col + 1], at = 2 * i * g.w + col + 1;
      if (bottom[col] > best) best = bottom[col], at = (2 * i + 1) * g.w + col;
      if (bottom[col + 1] > best) best = bottom[col + 1], at = (2 * i + 1) * g.w + col + 1;
      out[i * g.ow + j] = best;
      argmax[i * g.ow + j] = static_cast<std::int32_t>(at);
    }
  }
}

// Any window and stride, overlapping or not.
template <class T>
void pool_plane(const T* x, const Pool2dGeometry& g, T* out, std::int32_t* argmax) {
  for (std::int64_t i = 0; i < g.oh; ++i)
    for (std::int64_t j = 0; j < g.ow; ++j) {
      std::int64_t at = i * g.stride * g.w + j * g.stride;
      T best = x[at];
      for (std::int64_t di = 0; di < g.ph; ++di) {
        const std::int64_t row = (i * g.stride + di) * g.w;
        for (std::int64_t dj = 0; dj < g.pw; ++dj) {
          const std::int64_t index = row + j * g.stride + dj;
          if (x[index] > best) best = x[index], at = index;
        }
      }
      out[i * g.ow + j] = best;
      argmax[i * g.ow + j] = static_cast<std::int32_t>(at);
    }
}

// The backward of 2x2 windows at stride 2, which tile the plane: every input
// element is in one window and gets its gradient or 0, in one pass (no zero
// fill, then scatter).
template <class T>
void unpool_plane_2x2(const T* d, const std::int32_t* argmax, const Pool2dGeometry& g, T* dx) {
  for (std::int64_t i = 0; i < g.oh; ++i) {
    T* top = dx + 2 * i * g.w;
    T* bottom = top + g.w;
    for (std::int64_t j = 0; j < g.ow; ++j) {
      const std::int64_t col = 2 * j;
      const std::int64_t offset = argmax[i * g.ow + j] - (2 * i * g.w + col);  // 0, 1, W or W+1
      const T grad = d[i * g.ow + j];
      top[col] = offset == 0 ? grad : T(0);
      top[col + 1] = offset == 1 ? grad : T(0);
      bottom[col] = offset == g.w ? grad : T(0);
      bottom[col + 1] = offset == g.w + 1 ? grad : T(0);
    }
  }
}

}  // namespace

MaxPool2dForward max_pool2d_forward(const Tensor& x, const Pool2dParams& params) {
  const Pool2dGeometry g = pool2d_geometry(kOp, x, params);
  if (g.h * g.w > INT32_MAX) fail(kOp, "an input plane of {}x{} is too large", g.h, g.w);
  Tensor out = Tensor::empty({g.n, g.c, g.oh, g.ow}, x.dtype());
  std::vector<std::int32_t> argmax(static_cast<std::size_t>(out.numel()));
  const bool two_by_two = g.ph == 2 && g.pw == 2 && g.stride == 2;
  const std::int64_t in_plane = g.h * g.w, out_plane = g.oh * g.ow;
  dispatch(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* in = x.data<T>();
    T* o = out.data<T>();
    parallel_for(g.n * g.c, grain_for(g.h * g.w), [&](std::int64_t first, std::int64_t last) {
      for (std::int64_t p = first; p < last; ++p) {
        if (two_by_two) {
          pool_plane_2x2(in + p * in_plane, g, o + p * out_plane, argmax.data() + p * out_plane);
        } else {
          pool_plane(in + p * in_plane, g, o + p * out_plane, argmax.data() + p * out_plane);
        }
      }
    });
  });
  return {std::move(out), {g, x.dtype(), std::move(argmax)}};
}

Tensor max_pool2d_backward(const Tensor& dout, const MaxPool2dCache& cache) {
  const Pool2dGeometry& g = cache.geometry;
  Tensor dx = pool2d_dx_for("max_pool2d backward", dout, g, cache.dtype);
  const std::int64_t in_plane = g.h * g.w, out_plane = g.oh * g.ow;
  dispatch(dout.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* d = dout.data<T>();
    T* out = dx.data<T>();
    // 2x2 windows at stride 2 tile the plane: pool2d_geometry refuses an odd H or W.
    const bool two_by_two = g.ph == 2 && g.pw == 2 && g.stride == 2;
    parallel_for(g.n * g.c, grain_for(g.h * g.w), [&](std::int64_t first, std::int64_t last) {
      if (two_by_two) {
        for (std::int64_t p = first; p < last; ++p) {
          unpool_plane_2x2(d + p * out_plane, cache.argmax.data() + p * out_plane, g,
                           out + p * in_plane);
        }
        return;
      }
      std::fill(out + first * in_plane, out + last * in_plane, T(0));
      for (std::int64_t p = first; p < last; ++p) {
        const std::int32_t* at = cache.argmax.data() + p * out_plane;
        T* plane = out + p * in_plane;
        for (std::int64_t k = 0; k < out_plane; ++k) plane[at[k]] += d[p * out_plane + k];
      }
    });
  });
  return dx;
}

Var max_pool2d(const Var& x, const Pool2dParams& params) {
  Op op(kOp, {x});
  auto [out, cache] = max_pool2d_forward(op.input(0), params);
  return op.finish(std::move(out),
                   [cache = std::move(cache)](const Tensor& dout, InputGrads& grads) {
                     grads.add(0, max_pool2d_backward(dout, cache));
                   });
}

}  // namespace tg
