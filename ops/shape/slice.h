// Part of x along one axis (a copy): the entries start, start + step, ...
// before end, as x[..., start:end:step, ...] in NumPy. A negative axis,
// start or end counts from the end; after that 0 <= start < end <= size
// must hold (no clamping: an out-of-range slice is an error), step >= 1.
#pragma once

#include <cstdint>

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

Tensor slice_forward(const Tensor& x, int axis, std::int64_t start, std::int64_t end,
                     std::int64_t step = 1);
// dx: dout in the sliced positions, zero elsewhere.
Tensor slice_backward(const Tensor& dout, const Shape& x_shape, int axis, std::int64_t start,
                      std::int64_t end, std::int64_t step = 1);

// Tape op.
Var slice(const Var& x, int axis, std::int64_t start, std::int64_t end, std::int64_t step = 1);

}  // namespace tg
