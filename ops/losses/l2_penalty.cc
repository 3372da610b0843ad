#include "ops/losses/l2_penalty.h"

#include <cmath>

#include "graph/checks.h"
#include "graph/eigen.h"
#include "graph/op.h"

namespace tg {

Var l2_penalty(const Var& w, double reg) {
  Op op("l2_penalty", {w});
  const Tensor& weights = op.input(0);
  check_min_rank("l2_penalty", "w", weights, 0);
  if (!(reg >= 0) || !std::isfinite(reg)) fail("l2_penalty", "reg must be >= 0, got {}", reg);
  const double squares = dispatch(weights.dtype(), [&](auto zero) {
    using T = decltype(zero);
    return static_cast<double>(as_array<T>(weights).square().sum());
  });
  Tensor out = Tensor::full({}, 0.5 * reg * squares, weights.dtype());
  return op.finish(std::move(out), [weights, reg](const Tensor& dout, InputGrads& grads) {
    grads.add(0, weights.clone().scale_(reg * dout.item()));
  });
}

}  // namespace tg
