// The GAN losses of the course (CS231n's Generative_Adversarial_Networks,
// gan_pytorch.py), on the discriminator's outputs for a batch of real images
// and one of generated images (any shapes, usually (N) or (N, 1); the two
// batches may differ in size). Each is composed of the tape ops
// bce_with_logits, mse_loss, scale and add, so its gradients are theirs.
//
// Vanilla GAN (outputs are logits):
//   discriminator_loss = bce(logits_real, 1) + bce(logits_fake, 0)
//   generator_loss     = bce(logits_fake, 1)
// with bce = bce_with_logits (a mean over the batch), 1 and 0 the targets of
// every element.
// Least-squares GAN (outputs are scores):
//   ls_discriminator_loss = 0.5 mean((scores_real - 1)^2) + 0.5 mean(scores_fake^2)
//   ls_generator_loss     = 0.5 mean((scores_fake - 1)^2)
#pragma once

#include "graph/tape.h"

namespace tg {

// Each input must be a value on a tape (an op's output); a Parameter not yet
// placed on one is a TapeError (the targets are constants of that tape).
Var discriminator_loss(const Var& logits_real, const Var& logits_fake);
Var generator_loss(const Var& logits_fake);
Var ls_discriminator_loss(const Var& scores_real, const Var& scores_fake);
Var ls_generator_loss(const Var& scores_fake);

}  // namespace tg
