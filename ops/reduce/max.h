// Maximum over one axis (keepdim keeps it as size 1) or of all elements (a
// scalar, shape ()). The gradient goes to the first maximal element along the
// axis (in index order) alone, as in PyTorch's max(dim); a NaN counts as
// maximal, so NaNs propagate as in NumPy.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

struct MaxCache {
  Shape x_shape;
  Shape out_shape;
  // x seen as (outer, size, inner) around the axis (all elements: (1, numel, 1)).
  std::int64_t outer = 0, size = 0, inner = 0;
  std::vector<std::int64_t> argmax;  // per output element: its index along the axis
};

struct MaxForward {
  Tensor out;
  MaxCache cache;
};

MaxForward max_forward(const Tensor& x, int axis, bool keepdim = false);
MaxForward max_forward(const Tensor& x);
// dx: dout at each argmax, zero elsewhere.
Tensor max_backward(const Tensor& dout, const MaxCache& cache);

// Tape ops.
Var max(const Var& x, int axis, bool keepdim = false);
Var max(const Var& x);

}  // namespace tg
