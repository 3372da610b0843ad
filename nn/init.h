// Weight initialisation for the models.
#pragma once

#include <cstdint>
#include <string_view>

#include "graph/rng.h"
#include "graph/tensor.h"

namespace tg {

struct WeightInit {
  enum class Kind {
    normal,   // N(0, weight_scale^2), as the seed's models do
    kaiming,  // N(0, 2 / fan_in), He et al., for ReLU networks
  };
  Kind kind = Kind::normal;
  double weight_scale = 1e-2;  // used by Kind::normal
};

// Throws ArgumentError naming `owner` unless weight_scale is finite and > 0.
void check_weight_init(std::string_view owner, const WeightInit& init);

// A weight tensor of this shape; fan_in is the number of inputs per output
// (D for affine, C * HH * WW for conv).
Tensor init_weight(const Shape& shape, std::int64_t fan_in, const WeightInit& init, DType dtype,
                   Rng& rng);

}  // namespace tg
