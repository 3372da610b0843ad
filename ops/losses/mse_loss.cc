#include "ops/losses/mse_loss.h"

#include "ops/kernels/elementwise.h"
#include "ops/math/scale.h"

namespace tg {
namespace {

constexpr char kOp[] = "mse_loss";

}  // namespace

double mse_loss_forward(const Tensor& x, const Tensor& target) {
  check_loss_inputs(kOp, "x", x, "target", target);
  return mean_of_terms(x, target, [](double a, double b) { return (a - b) * (a - b); });
}

LossInputGrads mse_loss_backward(double dout, const Tensor& x, const Tensor& target, bool need_dx,
                                 bool need_dtarget) {
  check_loss_inputs("mse_loss backward", "x", x, "target", target);
  const double scale = 2 * dout / static_cast<double>(x.numel());
  LossInputGrads grads;
  if (!need_dx && !need_dtarget) return grads;
  Tensor dx = map_elements(x, target, [scale](auto a, auto b) {
    using T = decltype(a);
    return static_cast<T>(scale) * (a - b);
  });
  if (need_dtarget) grads.db = scale_forward(dx, -1.0);
  if (need_dx) grads.da = std::move(dx);
  return grads;
}

Var mse_loss(const Var& x, const Var& target) {
  return record_two_input_loss(kOp, x, target, mse_loss_forward, mse_loss_backward);
}

}  // namespace tg
