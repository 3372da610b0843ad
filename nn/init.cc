#include "nn/init.h"

#include <cmath>

#include "graph/checks.h"

namespace tg {

void check_weight_init(std::string_view owner, const WeightInit& init) {
  if (init.kind == WeightInit::Kind::normal &&
      !(init.weight_scale > 0 && std::isfinite(init.weight_scale))) {
    fail(owner, "weight_scale must be a finite number > 0, got {}", init.weight_scale);
  }
}

Tensor init_weight(const Shape& shape, std::int64_t fan_in, const WeightInit& init, DType dtype,
                   Rng& rng) {
  const double stddev = init.kind == WeightInit::Kind::kaiming
                            ? std::sqrt(2.0 / static_cast<double>(fan_in))
                            : init.weight_scale;
  return Tensor::randn(shape, rng, dtype, 0.0, stddev);
}

}  // namespace tg
