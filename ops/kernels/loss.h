// What the classification losses (softmax, SVM) share: the kernel result and
// the tape node that turns it into a scalar Var.
#pragma once

#include "graph/checks.h"
#include "graph/labels.h"
#include "graph/op.h"
#include "graph/tensor.h"

namespace tg {

struct LossAndGrad {
  double loss;     // mean over the N examples
  Tensor dscores;  // d loss / d scores, shape (N, C)
};

// The common frame of a loss kernel: checks scores (N, C) and labels,
// allocates dscores, and calls kernel(T{}, scores, labels, dscores) -> loss
// with T the scores' scalar type.
template <class Kernel>
LossAndGrad run_loss_kernel(const char* op, const Tensor& scores, const Labels& labels,
                            Kernel&& kernel) {
  check_rank(op, "scores", scores, 2);
  check_labels(op, labels, scores.dim(0), scores.dim(1));
  Tensor dscores = Tensor::empty(scores.shape(), scores.dtype());
  const double loss =
      dispatch(scores.dtype(), [&](auto zero) { return kernel(zero, scores, labels, dscores); });
  return {loss, std::move(dscores)};
}

// Records the scalar loss (shape (), the dtype of the scores) for an Op whose
// only input is the scores; backward scales dscores by the upstream gradient.
Var finish_loss(Op& op, LossAndGrad result);

}  // namespace tg
