#include "nn/dropout.h"

#include "graph/checks.h"
#include "ops/layers/dropout.h"

namespace tg {

Dropout::Dropout(double keep_prob, std::uint64_t seed, bool fixed_masks)
    : keep_prob_(keep_prob), seed_(seed), fixed_masks_(fixed_masks), rng_(seed) {
  if (!(keep_prob > 0 && keep_prob <= 1)) {
    fail("Dropout", "keep_prob must be in (0, 1], got {}", keep_prob);
  }
  register_generator("rng", rng_);
}

std::shared_ptr<Dropout> Dropout::from_config(const ModelConfig& config) {
  return std::make_shared<Dropout>(config.get_real("keep_prob"));
}

Var Dropout::forward(const Var& x) {
  if (fixed_masks_) {
    Rng masks(seed_);
    return dropout(x, {keep_prob_, mode()}, masks);
  }
  return dropout(x, {keep_prob_, mode()}, rng_);
}

// The generator's state is in checkpoints, not in the configuration.
ModelConfig Dropout::config() const {
  ModelConfig config;
  config.set_real("keep_prob", keep_prob_);
  return config;
}

std::vector<LayerSpec> Dropout::layer_specs() const {
  return {{"dropout", {}, {{"keep_prob", keep_prob_}}}};
}

}  // namespace tg
