// Dropout: inverted dropout (ops/layers/dropout.h) while the module trains,
// the identity in evaluation. Its masks come from its own generator
// (registered as "rng", so checkpoints save it and a resumed run draws the
// same masks). fixed_masks: every forward draws from a fresh generator
// seeded with `seed` (the seed's dropout_param['seed']), for gradient checks.
#pragma once

#include <cstdint>

#include "graph/rng.h"
#include "nn/module.h"

namespace tg {

class Dropout : public Module {
 public:
  explicit Dropout(double keep_prob = 0.5, std::uint64_t seed = 0, bool fixed_masks = false);
  static std::shared_ptr<Dropout> from_config(const ModelConfig& config);
  Var forward(const Var& x) override;
  std::string type() const override { return "Dropout"; }
  ModelConfig config() const override;
  std::vector<LayerSpec> layer_specs() const override;
  double keep_prob() const { return keep_prob_; }

 private:
  double keep_prob_;
  std::uint64_t seed_;
  bool fixed_masks_;
  Rng rng_;
};

}  // namespace tg
