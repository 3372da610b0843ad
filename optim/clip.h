// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_: for
// recurrent networks and any run whose gradients spike.
#pragma once

#include <vector>

#include "graph/parameter.h"

namespace tg {

// The L2 norm of all the parameters' gradients taken together,
// sqrt(sum over parameters of sum(grad^2)). When it exceeds max_norm, every
// gradient is scaled by max_norm / (norm + 1e-6). Returns the norm before
// clipping; a non-finite norm leaves the gradients as they are (the caller
// decides what a NaN means). The sum runs in float64 in parameter order, so
// it does not depend on the number of threads. Throws ArgumentError unless
// max_norm is a finite number > 0.
double clip_grad_norm(const std::vector<Parameter>& parameters, double max_norm);

}  // namespace tg
