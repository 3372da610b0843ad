#include "ops/reference/conv2d_naive.h"

#include "graph/checks.h"

namespace tg {
namespace {

template <class T>
void forward(const Conv2dGeometry& g, const Tensor& x, const Tensor& w, const Tensor& b,
             Tensor& out) {
  for (std::int64_t n = 0; n < g.n; ++n)
    for (std::int64_t f = 0; f < g.f; ++f)
      for (std::int64_t i = 0; i < g.oh; ++i)
        for (std::int64_t j = 0; j < g.ow; ++j) {
          T sum = b.at<T>(f);
          for (std::int64_t c = 0; c < g.c; ++c)
            for (std::int64_t di = 0; di < g.kh; ++di)
              for (std::int64_t dj = 0; dj < g.kw; ++dj) {
                const std::int64_t row = i * g.stride + di - g.pad;
                const std::int64_t col = j * g.stride + dj - g.pad;
                if (row < 0 || row >= g.h || col < 0 || col >= g.w) continue;  // zero padding
                sum += x.at<T>(n, c, row, col) * w.at<T>(f, c, di, dj);
              }
          out.at<T>(n, f, i, j) = sum;
        }
}

template <class T>
void backward(const Conv2dGeometry& g, const Tensor& dout, const Tensor& x, const Tensor& w,
              Conv2dGrads& grads) {
  for (std::int64_t n = 0; n < g.n; ++n)
    for (std::int64_t f = 0; f < g.f; ++f)
      for (std::int64_t i = 0; i < g.oh; ++i)
        for (std::int64_t j = 0; j < g.ow; ++j) {
          const T d = dout.at<T>(n, f, i, j);
          grads.db.at<T>(f) += d;
          for (std::int64_t c = 0; c < g.c; ++c)
            for (std::int64_t di = 0; di < g.kh; ++di)
              for (std::int64_t dj = 0; dj < g.kw; ++dj) {
                const std::int64_t row = i * g.stride + di - g.pad;
                const std::int64_t col = j * g.stride + dj - g.pad;
                if (row < 0 || row >= g.h || col < 0 || col >= g.w) continue;
                grads.dw.at<T>(f, c, di, dj) += d * x.at<T>(n, c, row, col);
                grads.dx.at<T>(n, c, row, col) += d * w.at<T>(f, c, di, dj);
              }
        }
}

}  // namespace

Conv2dForward conv2d_forward_naive(const Tensor& x, const Tensor& w, const Tensor& b,
                                   const Conv2dParams& params) {
  const Conv2dGeometry g = conv2d_geometry("conv2d_naive", x, w, params);
  check_conv2d_bias("conv2d_naive", x, b, g.f);
  Tensor out = Tensor::empty({g.n, g.f, g.oh, g.ow}, x.dtype());
  dispatch(x.dtype(), [&](auto zero) { forward<decltype(zero)>(g, x, w, b, out); });
  return {std::move(out), {x, w, params}};
}

Conv2dGrads conv2d_backward_naive(const Tensor& dout, const Conv2dCache& cache) {
  const Conv2dGeometry g = conv2d_geometry("conv2d_naive backward", cache.x, cache.w, cache.params);
  check_shape("conv2d_naive backward", "dout", dout, {g.n, g.f, g.oh, g.ow});
  check_same_dtype("conv2d_naive backward", "dout", dout, "x", cache.x);
  Conv2dGrads grads{Tensor::zeros(cache.x.shape(), dout.dtype()),
                    Tensor::zeros(cache.w.shape(), dout.dtype()),
                    Tensor::zeros({g.f}, dout.dtype())};
  dispatch(dout.dtype(),
           [&](auto zero) { backward<decltype(zero)>(g, dout, cache.x, cache.w, grads); });
  return grads;
}

}  // namespace tg
