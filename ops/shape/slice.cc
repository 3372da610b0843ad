#include "ops/shape/slice.h"

#include <cstring>

#include "graph/checks.h"
#include "graph/op.h"
#include "graph/parallel.h"
#include "ops/kernels/axis.h"

namespace tg {
namespace {

// A slice with its axis and bounds resolved against x's shape.
struct Resolved {
  int axis;
  std::int64_t start, step, count;
  AxisSplit split;  // of x around the axis
  Shape out;
};

Resolved resolve(std::string_view op, const Shape& x, int axis, std::int64_t start,
                 std::int64_t end, std::int64_t step) {
  Resolved r;
  r.axis = resolve_axis(op, axis, x);
  const std::int64_t size = x[r.axis];
  const std::int64_t first = start < 0 ? start + size : start;
  const std::int64_t stop = end < 0 ? end + size : end;
  if (step < 1) fail(op, "step must be 1 or more, got {}", step);
  if (first < 0 || stop > size || first >= stop) {
    fail(op, "[{}:{}] on axis {} of size {} (x {}) must select 0 <= start < end <= {}", start, end,
         r.axis, size, x.str(), size);
  }
  r.start = first;
  r.step = step;
  r.count = (stop - first + step - 1) / step;
  r.split = split_at(x, r.axis);
  std::vector<std::int64_t> dims = x.to_vector();
  dims[r.axis] = r.count;
  r.out = Shape(dims);
  return r;
}

// Copies the sliced rows (inner elements each) from x to the slice
// (to_slice) or back into a zero tensor of x's shape.
void copy_rows(const Resolved& r, const char* from, char* to, std::size_t element_bytes,
               bool to_slice) {
  const std::size_t row_bytes = static_cast<std::size_t>(r.split.inner) * element_bytes;
  const std::int64_t rows = r.split.outer * r.count;
  parallel_for(rows, grain_for(r.split.inner), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t row = first; row < last; ++row) {
      const std::int64_t o = row / r.count, j = row % r.count;
      const std::int64_t x_row = o * r.split.size + r.start + j * r.step;
      if (to_slice) {
        std::memcpy(to + row * row_bytes, from + x_row * row_bytes, row_bytes);
      } else {
        std::memcpy(to + x_row * row_bytes, from + row * row_bytes, row_bytes);
      }
    }
  });
}

Tensor forward(const Tensor& x, const Resolved& r) {
  Tensor out = Tensor::empty(r.out, x.dtype());
  copy_rows(r, static_cast<const char*>(x.raw_data()), static_cast<char*>(out.raw_data()),
            size_of(x.dtype()), true);
  return out;
}

Tensor backward(const Tensor& dout, const Shape& x_shape, const Resolved& r) {
  Tensor dx = Tensor::zeros(x_shape, dout.dtype());
  copy_rows(r, static_cast<const char*>(dout.raw_data()), static_cast<char*>(dx.raw_data()),
            size_of(dout.dtype()), false);
  return dx;
}

}  // namespace

Tensor slice_forward(const Tensor& x, int axis, std::int64_t start, std::int64_t end,
                     std::int64_t step) {
  check_min_rank("slice", "x", x, 1);
  return forward(x, resolve("slice", x.shape(), axis, start, end, step));
}

Tensor slice_backward(const Tensor& dout, const Shape& x_shape, int axis, std::int64_t start,
                      std::int64_t end, std::int64_t step) {
  const Resolved r = resolve("slice backward", x_shape, axis, start, end, step);
  check_shape("slice backward", "dout", dout, r.out);
  return backward(dout, x_shape, r);
}

Var slice(const Var& x, int axis, std::int64_t start, std::int64_t end, std::int64_t step) {
  Op op("slice", {x});
  check_min_rank("slice", "x", op.input(0), 1);
  const Shape x_shape = op.input(0).shape();
  const Resolved r = resolve("slice", x_shape, axis, start, end, step);
  return op.finish(forward(op.input(0), r), [x_shape, r](const Tensor& dout, InputGrads& grads) {
    grads.add(0, backward(dout, x_shape, r));
  });
}

}  // namespace tg
