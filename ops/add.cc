#include "ops/add.h"

#include "graph/checks.h"
#include "graph/op.h"

namespace tg {

Tensor add_forward(const Tensor& a, const Tensor& b) {
  check_min_rank("add", "a", a, 0);
  check_shape("add", "b", b, a.shape());
  check_same_dtype("add", "a", a, "b", b);
  Tensor out = a.clone();
  out.add_(b);
  return out;
}

Var add(const Var& a, const Var& b) {
  Op op("add", {a, b});
  return op.finish(add_forward(op.input(0), op.input(1)),
                   [](const Tensor& dout, InputGrads& grads) {
                     grads.add(0, dout);
                     grads.add(1, dout);
                   });
}

Var operator+(const Var& a, const Var& b) { return add(a, b); }

}  // namespace tg
