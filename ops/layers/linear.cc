#include "ops/layers/linear.h"

#include "graph/checks.h"
#include "graph/eigen.h"
#include "graph/op.h"
#include "ops/kernels/matrix_product.h"

namespace tg {
namespace {

constexpr char kOp[] = "linear";

void check_inputs(const Tensor& x, const Tensor& w, const Tensor& b) {
  check_min_rank(kOp, "x", x, 2);
  check_rank(kOp, "w", w, 2);
  check_same_dtype(kOp, "x", x, "w", w);
  check_same_dtype(kOp, "x", x, "b", b);
  if (x.shape().numel_after_first() != w.dim(0)) {
    fail(kOp, "x has {} features per example but w expects {} (x {}, w {})",
         x.shape().numel_after_first(), w.dim(0), shape_str(x), shape_str(w));
  }
  check_vector(kOp, "b", b, w.dim(1));
}

template <class T>
Tensor forward(const Tensor& x, const Tensor& w, const Tensor& b) {
  Tensor out = Tensor::empty({x.dim(0), w.dim(1)}, x.dtype());
  auto o = as_matrix<T>(out);
  multiply_in_blocks(o, as_matrix<T>(x), as_matrix<T>(w));
  o.rowwise() += as_row<T>(b);
  return out;
}

template <class T>
LinearGrads backward(const Tensor& dout, const LinearCache& cache, bool need_dx) {
  const auto x = as_matrix<T>(cache.x);
  const auto w = as_matrix<T>(cache.w);
  const auto d = as_matrix<T>(dout);
  LinearGrads grads;
  if (need_dx) {
    grads.dx = Tensor::empty(cache.x.shape(), dout.dtype());
    multiply_in_blocks(as_matrix<T>(grads.dx), d, w.transpose());
  }
  grads.dw = Tensor::empty(cache.w.shape(), dout.dtype());
  multiply_in_blocks(as_matrix<T>(grads.dw), x.transpose(), d);
  grads.db = Tensor::empty({cache.w.dim(1)}, dout.dtype());
  as_row<T>(grads.db) = d.colwise().sum();
  return grads;
}

}  // namespace

LinearForward linear_forward(const Tensor& x, const Tensor& w, const Tensor& b) {
  check_inputs(x, w, b);
  Tensor out = dispatch(x.dtype(), [&](auto zero) { return forward<decltype(zero)>(x, w, b); });
  return {std::move(out), {x, w}};
}

LinearGrads linear_backward(const Tensor& dout, const LinearCache& cache, bool need_dx) {
  check_shape("linear backward", "dout", dout, {cache.x.dim(0), cache.w.dim(1)});
  check_same_dtype("linear backward", "dout", dout, "x", cache.x);
  return dispatch(dout.dtype(),
                  [&](auto zero) { return backward<decltype(zero)>(dout, cache, need_dx); });
}

Var linear(const Var& x, const Var& w, const Var& b) {
  Op op(kOp, {x, w, b});
  auto [out, cache] = linear_forward(op.input(0), op.input(1), op.input(2));
  return op.finish(std::move(out),
                   [cache = std::move(cache)](const Tensor& dout, InputGrads& grads) {
                     LinearGrads g = linear_backward(dout, cache, grads.wants(0));
                     grads.add(0, std::move(g.dx));
                     grads.add(1, std::move(g.dw));
                     grads.add(2, std::move(g.db));
                   });
}

}  // namespace tg
