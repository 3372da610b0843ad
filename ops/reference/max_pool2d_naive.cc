#include "ops/reference/max_pool2d_naive.h"

#include "graph/checks.h"

namespace tg {
namespace {

// The (row, col) of the first maximum in window (i, j) of plane (n, c).
template <class T>
void window_argmax(const Tensor& x, const Pool2dGeometry& g, std::int64_t n, std::int64_t c,
                   std::int64_t i, std::int64_t j, std::int64_t& row, std::int64_t& col) {
  row = i * g.stride;
  col = j * g.stride;
  for (std::int64_t di = 0; di < g.ph; ++di)
    for (std::int64_t dj = 0; dj < g.pw; ++dj) {
      const std::int64_t r = i * g.stride + di, s = j * g.stride + dj;
      if (x.at<T>(n, c, r, s) > x.at<T>(n, c, row, col)) {
        row = r;
        col = s;
      }
    }
}

}  // namespace

MaxPool2dNaiveForward max_pool2d_forward_naive(const Tensor& x, const Pool2dParams& params) {
  const Pool2dGeometry g = pool2d_geometry("max_pool2d_naive", x, params);
  Tensor out = Tensor::empty({g.n, g.c, g.oh, g.ow}, x.dtype());
  dispatch(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    for (std::int64_t n = 0; n < g.n; ++n)
      for (std::int64_t c = 0; c < g.c; ++c)
        for (std::int64_t i = 0; i < g.oh; ++i)
          for (std::int64_t j = 0; j < g.ow; ++j) {
            std::int64_t row, col;
            window_argmax<T>(x, g, n, c, i, j, row, col);
            out.at<T>(n, c, i, j) = x.at<T>(n, c, row, col);
          }
  });
  return {std::move(out), {x, params}};
}

Tensor max_pool2d_backward_naive(const Tensor& dout, const MaxPool2dNaiveCache& cache) {
  const Pool2dGeometry g = pool2d_geometry("max_pool2d_naive backward", cache.x, cache.params);
  Tensor dx = pool2d_dx_for("max_pool2d_naive backward", dout, g, cache.x.dtype());
  dx.fill_(0);
  dispatch(dout.dtype(), [&](auto zero) {
    using T = decltype(zero);
    for (std::int64_t n = 0; n < g.n; ++n)
      for (std::int64_t c = 0; c < g.c; ++c)
        for (std::int64_t i = 0; i < g.oh; ++i)
          for (std::int64_t j = 0; j < g.ow; ++j) {
            std::int64_t row, col;
            window_argmax<T>(cache.x, g, n, c, i, j, row, col);
            dx.at<T>(n, c, row, col) += dout.at<T>(n, c, i, j);
          }
  });
  return dx;
}

}  // namespace tg
