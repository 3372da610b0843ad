// Multiclass SVM (hinge) loss with margin 1 over scores (N, C):
// loss = (1/N) sum_i sum_{j != y_i} max(0, s_ij - s_i,y_i + 1), and its gradient.
#pragma once

#include "graph/labels.h"
#include "graph/tape.h"
#include "graph/tensor.h"
#include "ops/kernels/loss.h"

namespace tg {

// The seed's svm_loss(x, y) -> (loss, dx).
LossAndGrad svm_loss_kernel(const Tensor& scores, const Labels& labels);

// Tape op: a scalar (shape ()) loss.
Var svm_loss(const Var& scores, const Labels& labels);

}  // namespace tg
