#include "ops/recurrent/temporal_affine.h"

#include "graph/checks.h"
#include "graph/op.h"
#include "ops/recurrent/recurrent_kernels.h"

namespace tg {
namespace {

constexpr char kOp[] = "temporal_affine";

void check_inputs(const Tensor& x, const Tensor& w, const Tensor& b) {
  check_rank(kOp, "x (N, T, D)", x, 3);
  check_rank(kOp, "w (D, M)", w, 2);
  check_same_dtype(kOp, "x", x, "w", w);
  check_same_dtype(kOp, "x", x, "b", b);
  if (w.dim(0) != x.dim(2)) {
    fail(kOp, "w must have D = {} rows (the features of x {}), got w {}", x.dim(2), shape_str(x),
         shape_str(w));
  }
  check_vector(kOp, "b", b, w.dim(1));
}

template <class T>
Tensor forward(const Tensor& x, const Tensor& w, const Tensor& b) {
  const std::int64_t rows = x.dim(0) * x.dim(1), d = x.dim(2), m = w.dim(1);
  Tensor out = Tensor::empty({x.dim(0), x.dim(1), m}, x.dtype());
  auto o = as_matrix<T>(out, rows, m);
  multiply_in_blocks(o, as_matrix<T>(x, rows, d), as_matrix<T>(w));
  o.rowwise() += as_row<T>(b);
  return out;
}

template <class T>
TemporalAffineGrads backward(const Tensor& dout, const TemporalAffineCache& cache, bool need_dx) {
  const std::int64_t rows = cache.x.dim(0) * cache.x.dim(1), d = cache.x.dim(2), m = cache.w.dim(1);
  const auto g = as_matrix<T>(dout, rows, m);
  TemporalAffineGrads grads;
  if (need_dx) {
    grads.dx = Tensor::empty(cache.x.shape(), dout.dtype());
    multiply_in_blocks(as_matrix<T>(grads.dx, rows, d), g, as_matrix<T>(cache.w).transpose());
  }
  grads.dw = Tensor::empty(cache.w.shape(), dout.dtype());
  multiply_in_blocks(as_matrix<T>(grads.dw), as_matrix<T>(cache.x, rows, d).transpose(), g);
  grads.db = Tensor::empty({m}, dout.dtype());
  as_row<T>(grads.db) = g.colwise().sum();
  return grads;
}

}  // namespace

TemporalAffineForward temporal_affine_forward(const Tensor& x, const Tensor& w, const Tensor& b) {
  check_inputs(x, w, b);
  Tensor out = dispatch(x.dtype(), [&](auto zero) { return forward<decltype(zero)>(x, w, b); });
  return {std::move(out), {x, w}};
}

TemporalAffineGrads temporal_affine_backward(const Tensor& dout, const TemporalAffineCache& cache,
                                             bool need_dx) {
  constexpr char kBackward[] = "temporal_affine backward";
  check_shape(kBackward, "dout", dout, {cache.x.dim(0), cache.x.dim(1), cache.w.dim(1)});
  check_same_dtype(kBackward, "dout", dout, "x", cache.x);
  return dispatch(dout.dtype(),
                  [&](auto zero) { return backward<decltype(zero)>(dout, cache, need_dx); });
}

Var temporal_affine(const Var& x, const Var& w, const Var& b) {
  Op op(kOp, {x, w, b});
  TemporalAffineForward result = temporal_affine_forward(op.input(0), op.input(1), op.input(2));
  return op.finish(std::move(result.out),
                   [cache = std::move(result.cache)](const Tensor& dout, InputGrads& grads) {
                     TemporalAffineGrads g = temporal_affine_backward(dout, cache, grads.wants(0));
                     grads.add(0, std::move(g.dx));
                     grads.add(1, std::move(g.dw));
                     grads.add(2, std::move(g.db));
                   });
}

}  // namespace tg
