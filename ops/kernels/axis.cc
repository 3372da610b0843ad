#include "ops/kernels/axis.h"

#include <vector>

#include "graph/checks.h"

namespace tg {

int resolve_axis(std::string_view op, int axis, const Shape& shape, bool one_past_last) {
  const int count = shape.rank() + (one_past_last ? 1 : 0);
  const int resolved = axis < 0 ? axis + count : axis;
  if (count == 0) fail(op, "axis {} is out of range for shape () (a scalar has no axes)", axis);
  if (resolved < 0 || resolved >= count) {
    fail(op, "axis {} is out of range for shape {} (expected {} to {})", axis, shape.str(), -count,
         count - 1);
  }
  return resolved;
}

AxisSplit split_at(const Shape& shape, int axis) {
  AxisSplit split{1, shape[axis], 1};
  for (int k = 0; k < axis; ++k) split.outer *= shape[k];
  for (int k = axis + 1; k < shape.rank(); ++k) split.inner *= shape[k];
  return split;
}

Shape reduced_shape(const Shape& shape, int axis, bool keepdim) {
  std::vector<std::int64_t> dims = shape.to_vector();
  if (keepdim) {
    dims[axis] = 1;
  } else {
    dims.erase(dims.begin() + axis);
  }
  return Shape(dims);
}

}  // namespace tg
