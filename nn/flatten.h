// Flatten: (N, d_1, ..., d_k) -> (N, d_1 * ... * d_k), a view (no copy).
#pragma once

#include "nn/module.h"

namespace tg {

class Flatten : public Module {
 public:
  Var forward(const Var& x) override;
  std::string type() const override { return "Flatten"; }
  std::vector<LayerSpec> layer_specs() const override { return {{"flatten", {}, {}}}; }
};

}  // namespace tg
