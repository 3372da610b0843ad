#include "ops/losses/bce_with_logits.h"

#include <algorithm>
#include <cmath>

#include "ops/kernels/elementwise.h"

namespace tg {
namespace {

constexpr char kOp[] = "bce_with_logits";

// sigmoid(x) without exp() of a large argument: e = exp(-|x|) <= 1.
template <class T>
T stable_sigmoid(T x) {
  const T e = std::exp(-std::abs(x));
  return x >= 0 ? 1 / (1 + e) : e / (1 + e);
}

}  // namespace

double bce_with_logits_forward(const Tensor& logits, const Tensor& targets) {
  check_loss_inputs(kOp, "logits", logits, "targets", targets);
  return mean_of_terms(logits, targets, [](double x, double y) {
    return std::max(x, 0.0) - x * y + std::log1p(std::exp(-std::abs(x)));
  });
}

LossInputGrads bce_with_logits_backward(double dout, const Tensor& logits, const Tensor& targets,
                                        bool need_dlogits, bool need_dtargets) {
  check_loss_inputs("bce_with_logits backward", "logits", logits, "targets", targets);
  const double scale = dout / static_cast<double>(logits.numel());
  LossInputGrads grads;
  if (need_dlogits) {
    grads.da = map_elements(logits, targets, [scale](auto x, auto y) {
      using T = decltype(x);
      return static_cast<T>(scale) * (stable_sigmoid(x) - y);
    });
  }
  if (need_dtargets) {
    grads.db = map_elements(logits, [scale](auto x) {
      using T = decltype(x);
      return -static_cast<T>(scale) * x;
    });
  }
  return grads;
}

Var bce_with_logits(const Var& logits, const Var& targets) {
  return record_two_input_loss(kOp, logits, targets, bce_with_logits_forward,
                               bce_with_logits_backward);
}

}  // namespace tg
