#include "ops/math/div.h"

#include "graph/checks.h"
#include "graph/op.h"
#include "ops/kernels/broadcast.h"
#include "ops/kernels/elementwise.h"

namespace tg {

DivForward div_forward(const Tensor& a, const Tensor& b) {
  check_min_rank("div", "a", a, 0);
  check_min_rank("div", "b", b, 0);
  check_same_dtype("div", "a", a, "b", b);
  Tensor out = broadcast_binary("div", a, b, [](auto x, auto y) { return x / y; });
  return {out, {a.shape(), b, out}};
}

DivGrads div_backward(const Tensor& dout, const DivCache& cache, bool need_da, bool need_db) {
  check_shape("div backward", "dout", dout, cache.out.shape());
  check_same_dtype("div backward", "dout", dout, "b", cache.b);
  // dout / b over the output shape serves both gradients.
  const Tensor dout_over_b =
      broadcast_binary("div backward", dout, cache.b, [](auto d, auto y) { return d / y; });
  DivGrads grads;
  if (need_da) grads.da = sum_to_shape(dout_over_b, cache.a_shape);
  if (need_db) {
    const Tensor terms =
        map_elements(dout_over_b, cache.out, [](auto q, auto quotient) { return -q * quotient; });
    grads.db = sum_to_shape(terms, cache.b.shape());
  }
  return grads;
}

Var div(const Var& a, const Var& b) {
  Op op("div", {a, b});
  auto [out, cache] = div_forward(op.input(0), op.input(1));
  return op.finish(std::move(out),
                   [cache = std::move(cache)](const Tensor& dout, InputGrads& grads) {
                     DivGrads g = div_backward(dout, cache, grads.wants(0), grads.wants(1));
                     grads.add(0, std::move(g.da));
                     grads.add(1, std::move(g.db));
                   });
}

Var operator/(const Var& a, const Var& b) { return div(a, b); }
Var operator/(const Var& x, double c) { return div(x, scalar_constant(x, c)); }
Var operator/(double c, const Var& x) { return div(scalar_constant(x, c), x); }

}  // namespace tg
