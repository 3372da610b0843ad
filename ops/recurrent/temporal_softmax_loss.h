// Temporal softmax loss (the course's temporal_softmax_loss): a softmax
// cross-entropy at every time step of scores x (N, T, V) against the words
// y (N, T), counted where mask (N, T) is true, summed over the steps and
// averaged over the N sequences:
//   loss = -(1/N) sum_{n,t} mask[n,t] log softmax(x[n,t])[y[n,t]]
//   dx[n,t] = mask[n,t] (softmax(x[n,t]) - one_hot(y[n,t])) / N
// Every y must lie in [0, V), also where the mask is false (padding is a word
// of the vocabulary, like the course's <NULL>).
#pragma once

#include <vector>

#include "graph/tape.h"
#include "graph/tensor.h"
#include "ops/index/embedding.h"
#include "ops/kernels/loss.h"

namespace tg {

// Which positions of a batch of sequences count: true for a word, false for
// padding. Row-major values and their shape, like Indices.
//   Mask({true, true, false, true, false, false}, {2, 3})
class Mask {
 public:
  // Throws ArgumentError unless values.size() == shape.numel().
  Mask(std::vector<bool> values, const Shape& shape);
  // Every position of `shape` counts.
  static Mask all(const Shape& shape);

  const std::vector<bool>& values() const { return values_; }
  const Shape& shape() const { return shape_; }
  // The number of true positions.
  std::int64_t count() const;

 private:
  std::vector<bool> values_;
  Shape shape_;
};

// The seed's temporal_softmax_loss(x, y, mask) -> (loss, dx). Throws
// ArgumentError naming the op for x not (N, T, V), y or mask not (N, T), or a
// word outside [0, V).
LossAndGrad temporal_softmax_loss_kernel(const Tensor& x, const Indices& y, const Mask& mask);

// Tape op: a scalar (shape ()) loss.
Var temporal_softmax_loss(const Var& x, const Indices& y, const Mask& mask);

}  // namespace tg
