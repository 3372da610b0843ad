// Binary cross-entropy on logits, averaged over every element (PyTorch's
// BCEWithLogitsLoss, reduction "mean"), for logits x and targets y of one
// shape (y usually 0 or 1; any value in [0, 1] is a soft target):
//   loss = mean( max(x, 0) - x y + log(1 + exp(-|x|)) ),
// the stable form of -[y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]: no
// exp() of a large argument, so it stays finite and exact for any |x|.
//   d loss / d x = (sigmoid(x) - y) / numel,  d loss / d y = -x / numel.
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"
#include "ops/kernels/elementwise_loss.h"

namespace tg {

// The mean loss. Throws ArgumentError for an empty logits tensor, targets of
// another shape or dtype.
double bce_with_logits_forward(const Tensor& logits, const Tensor& targets);
// da: d loss / d logits, db: d loss / d targets, each times dout (the
// upstream gradient of the scalar loss), each only when asked for.
LossInputGrads bce_with_logits_backward(double dout, const Tensor& logits, const Tensor& targets,
                                        bool need_dlogits = true, bool need_dtargets = true);

// Tape op: a scalar (shape ()) loss. targets is usually a constant.
Var bce_with_logits(const Var& logits, const Var& targets);

}  // namespace tg
