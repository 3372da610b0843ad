#include "ops/math/scale.h"

#include <cmath>

#include "graph/op.h"
#include "ops/kernels/elementwise.h"

namespace tg {
namespace {

Tensor scaled(std::string_view op, const Tensor& x, double factor) {
  if (!std::isfinite(factor)) fail(op, "the factor must be finite, got {}", factor);
  check_elementwise_input(op, x);
  return map_elements(x, [factor](auto v) { return static_cast<decltype(v)>(factor) * v; });
}

Var record(OpName name, const Var& x, double factor) {
  Op op(name, {x});
  return op.finish(scaled(name, op.input(0), factor),
                   [factor](const Tensor& dout, InputGrads& grads) {
                     grads.add(0, scale_backward(dout, factor));
                   });
}

}  // namespace

Tensor scale_forward(const Tensor& x, double factor) { return scaled("scale", x, factor); }

Tensor scale_backward(const Tensor& dout, double factor) {
  return scaled("scale backward", dout, factor);
}

Var scale(const Var& x, double factor) { return record("scale", x, factor); }
Var neg(const Var& x) { return record("neg", x, -1.0); }
Var operator-(const Var& x) { return neg(x); }

}  // namespace tg
