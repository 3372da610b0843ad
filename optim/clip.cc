#include "optim/clip.h"

#include <fmt/format.h>

#include <cmath>
#include <utility>

#include "graph/errors.h"

namespace tg {

double clip_grad_norm(const std::vector<Parameter>& parameters, double max_norm) {
  if (!(max_norm > 0) || !std::isfinite(max_norm)) {
    throw ArgumentError(
        fmt::format("clip_grad_norm: max_norm must be a finite number > 0, got {}", max_norm));
  }
  double squares = 0;
  for (const Parameter& p : parameters) {
    const Tensor& grad = std::as_const(p).grad();
    dispatch(grad.dtype(), [&](auto zero) {
      using T = decltype(zero);
      const T* g = grad.data<T>();
      for (std::int64_t i = 0; i < grad.numel(); ++i) squares += static_cast<double>(g[i]) * g[i];
    });
  }
  const double norm = std::sqrt(squares);
  if (!std::isfinite(norm) || norm <= max_norm) return norm;
  const double factor = max_norm / (norm + 1e-6);
  for (const Parameter& p : parameters) {
    Tensor& grad = p.grad();
    if (!grad.unique_storage()) grad = grad.clone();  // another holder must not see it change
    grad.scale_(factor);
  }
  return norm;
}

}  // namespace tg
