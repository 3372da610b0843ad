// Embedding lookup: out[p] = W[indices[p]], rows of W (V, D) gathered by
// integer indices of any shape, (N) -> (N, D), (N, T) -> (N, T, D). The
// backward scatter-adds dout into a zero (V, D): an index used several times
// gets the sum of its rows of dout. The indices get no gradient.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

// Integer indices of any shape, as embedding takes them: the values in
// row-major order and their shape. Not a Tensor, which holds only floats.
//   Indices({3, 1, 4})                   shape (3)
//   Indices({3, 1, 4, 1, 5, 9}, {2, 3})  shape (2,3): two sequences of 3
class Indices {
 public:
  explicit Indices(std::vector<std::int64_t> values);
  // Throws ArgumentError unless values.size() == shape.numel().
  Indices(std::vector<std::int64_t> values, const Shape& shape);

  const std::vector<std::int64_t>& values() const { return values_; }
  const Shape& shape() const { return shape_; }

 private:
  std::vector<std::int64_t> values_;
  Shape shape_;
};

// Throws ArgumentError naming the first index outside [0, V) and its
// position, e.g. "embedding: indices(1,0) is 12, outside [0, 10) ...".
Tensor embedding_forward(const Indices& indices, const Tensor& w);
// dW (w_shape): for every position p in order, row indices[p] += dout[p].
Tensor embedding_backward(const Tensor& dout, const Indices& indices, const Shape& w_shape);

// Tape op.
Var embedding(const Indices& indices, const Var& w);

}  // namespace tg
