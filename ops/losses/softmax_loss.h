// Softmax cross-entropy loss over class scores (N, C) and labels in [0, C):
// loss = -(1/N) sum_i log softmax(x_i)[y_i], and its gradient.
#pragma once

#include "graph/labels.h"
#include "graph/tape.h"
#include "graph/tensor.h"
#include "ops/kernels/loss.h"

namespace tg {

// The seed's softmax_loss(x, y) -> (loss, dx).
LossAndGrad softmax_loss_kernel(const Tensor& scores, const Labels& labels);

// Tape op: a scalar (shape ()) loss.
Var softmax_loss(const Var& scores, const Labels& labels);

}  // namespace tg
