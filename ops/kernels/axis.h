// Axis arguments shared by the ops that work along one axis (sum, mean, max,
// softmax, slice, concat, stack): negative axes count from the end, -1 the
// last, as in NumPy.
#pragma once

#include <cstdint>
#include <string_view>

#include "graph/shape.h"

namespace tg {

// The axis in [0, rank) (rank + 1 with `one_past_last`, for stack); throws
// ArgumentError "op: axis 2 is out of range for shape (4,5)".
int resolve_axis(std::string_view op, int axis, const Shape& shape, bool one_past_last = false);

// A shape seen around one axis as (outer, size, inner): outer the product of
// the dimensions before the axis, inner of those after. Row-major element
// (o, j, i) sits at (o * size + j) * inner + i.
struct AxisSplit {
  std::int64_t outer;
  std::int64_t size;
  std::int64_t inner;
};
AxisSplit split_at(const Shape& shape, int axis);  // axis resolved

// The shape of a reduction over `axis`: that axis set to 1 (keepdim) or
// removed.
Shape reduced_shape(const Shape& shape, int axis, bool keepdim);

}  // namespace tg
