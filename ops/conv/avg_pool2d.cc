#include "ops/conv/avg_pool2d.h"

#include <algorithm>

#include "graph/checks.h"
#include "graph/op.h"
#include "graph/parallel.h"

namespace tg {
namespace {

constexpr char kOp[] = "avg_pool2d";

}  // namespace

AvgPool2dForward avg_pool2d_forward(const Tensor& x, const Pool2dParams& params) {
  const Pool2dGeometry g = pool2d_geometry(kOp, x, params);
  Tensor out = Tensor::empty({g.n, g.c, g.oh, g.ow}, x.dtype());
  const std::int64_t in_plane = g.h * g.w, out_plane = g.oh * g.ow;
  dispatch(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T scale = T(1) / static_cast<T>(g.ph * g.pw);
    const T* in = x.data<T>();
    T* o = out.data<T>();
    parallel_for(g.n * g.c, grain_for(g.h * g.w), [&](std::int64_t first, std::int64_t last) {
      for (std::int64_t p = first; p < last; ++p) {
        const T* plane = in + p * in_plane;
        for (std::int64_t i = 0; i < g.oh; ++i)
          for (std::int64_t j = 0; j < g.ow; ++j) {
            T sum = 0;
            for (std::int64_t di = 0; di < g.ph; ++di)
              for (std::int64_t dj = 0; dj < g.pw; ++dj)
                sum += plane[(i * g.stride + di) * g.w + j * g.stride + dj];
            o[p * out_plane + i * g.ow + j] = sum * scale;
          }
      }
    });
  });
  return {std::move(out), {g, x.dtype()}};
}

Tensor avg_pool2d_backward(const Tensor& dout, const AvgPool2dCache& cache) {
  const Pool2dGeometry& g = cache.geometry;
  Tensor dx = pool2d_dx_for("avg_pool2d backward", dout, g, cache.dtype);
  const std::int64_t in_plane = g.h * g.w, out_plane = g.oh * g.ow;
  dispatch(dout.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T scale = T(1) / static_cast<T>(g.ph * g.pw);
    const T* d = dout.data<T>();
    T* out = dx.data<T>();
    parallel_for(g.n * g.c, grain_for(g.h * g.w), [&](std::int64_t first, std::int64_t last) {
      std::fill(out + first * in_plane, out + last * in_plane, T(0));
      for (std::int64_t p = first; p < last; ++p) {
        T* plane = out + p * in_plane;
        for (std::int64_t i = 0; i < g.oh; ++i)
          for (std::int64_t j = 0; j < g.ow; ++j) {
            const T share = d[p * out_plane + i * g.ow + j] * scale;
            for (std::int64_t di = 0; di < g.ph; ++di)
              for (std::int64_t dj = 0; dj < g.pw; ++dj)
                plane[(i * g.stride + di) * g.w + j * g.stride + dj] += share;
          }
      }
    });
  });
  return dx;
}

Var avg_pool2d(const Var& x, const Pool2dParams& params) {
  Op op(kOp, {x});
  auto [out, cache] = avg_pool2d_forward(op.input(0), params);
  return op.finish(std::move(out),
                   [cache = std::move(cache)](const Tensor& dout, InputGrads& grads) {
                     grads.add(0, avg_pool2d_backward(dout, cache));
                   });
}

}  // namespace tg
