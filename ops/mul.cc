#include "ops/mul.h"

#include "graph/checks.h"
#include "graph/eigen.h"
#include "graph/op.h"

namespace tg {
namespace {

// out = x * y elementwise, all of one dtype and size.
Tensor product(const Tensor& x, const Tensor& y) {
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    as_array<T>(out) = as_array<T>(x) * as_array<T>(y);
  });
  return out;
}

}  // namespace

MulForward mul_forward(const Tensor& a, const Tensor& b) {
  check_min_rank("mul", "a", a, 0);
  check_shape("mul", "b", b, a.shape());
  check_same_dtype("mul", "a", a, "b", b);
  return {product(a, b), {a, b}};
}

MulGrads mul_backward(const Tensor& dout, const MulCache& cache) {
  check_shape("mul backward", "dout", dout, cache.a.shape());
  check_same_dtype("mul backward", "dout", dout, "a", cache.a);
  return {product(dout, cache.b), product(dout, cache.a)};
}

Var mul(const Var& a, const Var& b) {
  Op op("mul", {a, b});
  auto [out, cache] = mul_forward(op.input(0), op.input(1));
  return op.finish(std::move(out),
                   [cache = std::move(cache)](const Tensor& dout, InputGrads& grads) {
                     MulGrads g = mul_backward(dout, cache);
                     grads.add(0, std::move(g.da));
                     grads.add(1, std::move(g.db));
                   });
}

Var operator*(const Var& a, const Var& b) { return mul(a, b); }

}  // namespace tg
