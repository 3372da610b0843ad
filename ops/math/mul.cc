#include "ops/math/mul.h"

#include "graph/checks.h"
#include "graph/op.h"
#include "ops/kernels/broadcast.h"
#include "ops/math/scale.h"

namespace tg {
namespace {

Tensor product(std::string_view op, const Tensor& x, const Tensor& y) {
  return broadcast_binary(op, x, y, [](auto u, auto v) { return u * v; });
}

}  // namespace

MulForward mul_forward(const Tensor& a, const Tensor& b) {
  check_min_rank("mul", "a", a, 0);
  check_min_rank("mul", "b", b, 0);
  check_same_dtype("mul", "a", a, "b", b);
  return {product("mul", a, b), {a, b}};
}

MulGrads mul_backward(const Tensor& dout, const MulCache& cache, bool need_da, bool need_db) {
  check_shape("mul backward", "dout", dout,
              broadcast_shape("mul backward", "a", cache.a.shape(), "b", cache.b.shape()));
  check_same_dtype("mul backward", "dout", dout, "a", cache.a);
  MulGrads grads;
  if (need_da) grads.da = sum_to_shape(product("mul backward", dout, cache.b), cache.a.shape());
  if (need_db) grads.db = sum_to_shape(product("mul backward", dout, cache.a), cache.b.shape());
  return grads;
}

Var mul(const Var& a, const Var& b) {
  Op op("mul", {a, b});
  auto [out, cache] = mul_forward(op.input(0), op.input(1));
  return op.finish(std::move(out),
                   [cache = std::move(cache)](const Tensor& dout, InputGrads& grads) {
                     MulGrads g = mul_backward(dout, cache, grads.wants(0), grads.wants(1));
                     grads.add(0, std::move(g.da));
                     grads.add(1, std::move(g.db));
                   });
}

Var operator*(const Var& a, const Var& b) { return mul(a, b); }
Var operator*(const Var& x, double c) { return scale(x, c); }
Var operator*(double c, const Var& x) { return scale(x, c); }

}  // namespace tg
