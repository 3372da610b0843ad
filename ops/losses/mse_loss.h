// Mean squared error, averaged over every element (PyTorch's MSELoss,
// reduction "mean"), for x and target of one shape:
//   loss = mean( (x - target)^2 ),
//   d loss / d x = 2 (x - target) / numel = -d loss / d target.
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"
#include "ops/kernels/elementwise_loss.h"

namespace tg {

// The mean loss. Throws ArgumentError for an empty x, a target of another
// shape or dtype.
double mse_loss_forward(const Tensor& x, const Tensor& target);
// da: d loss / d x, db: d loss / d target, each times dout, each only when
// asked for.
LossInputGrads mse_loss_backward(double dout, const Tensor& x, const Tensor& target,
                                 bool need_dx = true, bool need_dtarget = true);

// Tape op: a scalar (shape ()) loss.
Var mse_loss(const Var& x, const Var& target);

}  // namespace tg
