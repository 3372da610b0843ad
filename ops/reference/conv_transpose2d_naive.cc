#include "ops/reference/conv_transpose2d_naive.h"

#include "graph/checks.h"

namespace tg {
namespace {

// The row-major offset of element (a, b, c, d) of a 4-D tensor of shape
// (., d1, d2, d3). (Tensor::at checks every index; here the loops keep them
// in bounds, and the reference runs 50x faster on raw offsets.)
struct Offsets4 {
  explicit Offsets4(const Tensor& t) : d1(t.dim(1)), d2(t.dim(2)), d3(t.dim(3)) {}
  std::int64_t operator()(std::int64_t a, std::int64_t b, std::int64_t c, std::int64_t d) const {
    return ((a * d1 + b) * d2 + c) * d3 + d;
  }
  std::int64_t d1, d2, d3;
};

// Calls f(n, k, i, j, o, a, c, row, col) for every input pixel (n, k, i, j),
// output channel o and filter tap (a, c) whose output pixel (row, col) lies
// inside the output (taps landing in the cropped pad are skipped).
template <class F>
void for_each_term(const ConvTranspose2dGeometry& g, F f) {
  for (std::int64_t n = 0; n < g.n; ++n)
    for (std::int64_t k = 0; k < g.c_in; ++k)
      for (std::int64_t i = 0; i < g.h; ++i)
        for (std::int64_t j = 0; j < g.w; ++j)
          for (std::int64_t o = 0; o < g.c_out; ++o)
            for (std::int64_t a = 0; a < g.kh; ++a)
              for (std::int64_t c = 0; c < g.kw; ++c) {
                const std::int64_t row = i * g.stride - g.pad + a;
                const std::int64_t col = j * g.stride - g.pad + c;
                if (row < 0 || row >= g.oh || col < 0 || col >= g.ow) continue;
                f(n, k, i, j, o, a, c, row, col);
              }
}

template <class T>
void forward(const ConvTranspose2dGeometry& g, const Tensor& x, const Tensor& w, const Tensor& b,
             Tensor& out) {
  const Offsets4 at_x(x), at_w(w), at_out(out);
  const T* xs = x.data<T>();
  const T* ws = w.data<T>();
  T* ys = out.data<T>();
  for (std::int64_t n = 0; n < g.n; ++n)
    for (std::int64_t o = 0; o < g.c_out; ++o)
      for (std::int64_t row = 0; row < g.oh; ++row)
        for (std::int64_t col = 0; col < g.ow; ++col) ys[at_out(n, o, row, col)] = b.at<T>(o);
  for_each_term(g, [&](auto n, auto k, auto i, auto j, auto o, auto a, auto c, auto row, auto col) {
    ys[at_out(n, o, row, col)] += xs[at_x(n, k, i, j)] * ws[at_w(k, o, a, c)];
  });
}

template <class T>
void backward(const ConvTranspose2dGeometry& g, const Tensor& dout, const Tensor& x,
              const Tensor& w, ConvTranspose2dGrads& grads) {
  const Offsets4 at_x(x), at_w(w), at_out(dout);
  const T* d = dout.data<T>();
  const T* xs = x.data<T>();
  const T* ws = w.data<T>();
  T* dx = grads.dx.data<T>();
  T* dw = grads.dw.data<T>();
  for (std::int64_t n = 0; n < g.n; ++n)
    for (std::int64_t o = 0; o < g.c_out; ++o)
      for (std::int64_t row = 0; row < g.oh; ++row)
        for (std::int64_t col = 0; col < g.ow; ++col)
          grads.db.at<T>(o) += d[at_out(n, o, row, col)];
  for_each_term(g, [&](auto n, auto k, auto i, auto j, auto o, auto a, auto c, auto row, auto col) {
    const T upstream = d[at_out(n, o, row, col)];
    dx[at_x(n, k, i, j)] += upstream * ws[at_w(k, o, a, c)];
    dw[at_w(k, o, a, c)] += upstream * xs[at_x(n, k, i, j)];
  });
}

}  // namespace

ConvTranspose2dForward conv_transpose2d_forward_naive(const Tensor& x, const Tensor& w,
                                                      const Tensor& b,
                                                      const ConvTranspose2dParams& params) {
  const ConvTranspose2dGeometry g =
      conv_transpose2d_geometry("conv_transpose2d_naive", x, w, params);
  check_conv2d_bias("conv_transpose2d_naive", x, b, g.c_out);
  Tensor out = Tensor::empty({g.n, g.c_out, g.oh, g.ow}, x.dtype());
  dispatch(x.dtype(), [&](auto zero) { forward<decltype(zero)>(g, x, w, b, out); });
  return {std::move(out), {x, w, params}};
}

ConvTranspose2dGrads conv_transpose2d_backward_naive(const Tensor& dout,
                                                     const ConvTranspose2dCache& cache) {
  constexpr char kOp[] = "conv_transpose2d_naive backward";
  const ConvTranspose2dGeometry g = conv_transpose2d_geometry(kOp, cache.x, cache.w, cache.params);
  check_shape(kOp, "dout", dout, {g.n, g.c_out, g.oh, g.ow});
  check_same_dtype(kOp, "dout", dout, "x", cache.x);
  ConvTranspose2dGrads grads{Tensor::zeros(cache.x.shape(), dout.dtype()),
                             Tensor::zeros(cache.w.shape(), dout.dtype()),
                             Tensor::zeros({g.c_out}, dout.dtype())};
  dispatch(dout.dtype(),
           [&](auto zero) { backward<decltype(zero)>(g, dout, cache.x, cache.w, grads); });
  return grads;
}

}  // namespace tg
