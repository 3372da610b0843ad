// What the classification losses (softmax, SVM) share: the kernel result and
// the tape node that turns it into a scalar Var.
#pragma once

#include "graph/op.h"
#include "graph/tensor.h"

namespace tg {

struct LossAndGrad {
  double loss;     // mean over the N examples
  Tensor dscores;  // d loss / d scores, shape (N, C)
};

// Records the scalar loss (shape (), the dtype of the scores) for an Op whose
// only input is the scores; backward scales dscores by the upstream gradient.
Var finish_loss(Op& op, LossAndGrad result);

}  // namespace tg
