#include "ops/losses/gan_losses.h"

#include "ops/losses/bce_with_logits.h"
#include "ops/losses/mse_loss.h"
#include "ops/math/add.h"
#include "ops/math/scale.h"

namespace tg {
namespace {

// A constant of like's tape, shape and dtype, every element `value`: the
// targets 1 (real) and 0 (fake).
Var filled_like(const Var& like, double value) {
  return like.tape().constant(Tensor::full(like.shape(), value, like.dtype()));
}

}  // namespace

Var discriminator_loss(const Var& logits_real, const Var& logits_fake) {
  return bce_with_logits(logits_real, filled_like(logits_real, 1.0)) +
         bce_with_logits(logits_fake, filled_like(logits_fake, 0.0));
}

Var generator_loss(const Var& logits_fake) {
  return bce_with_logits(logits_fake, filled_like(logits_fake, 1.0));
}

Var ls_discriminator_loss(const Var& scores_real, const Var& scores_fake) {
  return scale(mse_loss(scores_real, filled_like(scores_real, 1.0)), 0.5) +
         scale(mse_loss(scores_fake, filled_like(scores_fake, 0.0)), 0.5);
}

Var ls_generator_loss(const Var& scores_fake) {
  return scale(mse_loss(scores_fake, filled_like(scores_fake, 1.0)), 0.5);
}

}  // namespace tg
