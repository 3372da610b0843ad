#include "ops/shape/concat.h"

#include <fmt/format.h>

#include <cstring>

#include "graph/checks.h"
#include "graph/op.h"
#include "graph/parallel.h"
#include "ops/kernels/axis.h"

namespace tg {
namespace {

// The output shape, after checking that the shapes agree apart from `axis`
// (resolved against the first shape).
Shape joined_shape(std::string_view op, const std::vector<Shape>& shapes, int axis) {
  const Shape& first = shapes[0];
  std::vector<std::int64_t> dims = first.to_vector();
  dims[axis] = 0;
  for (std::size_t k = 0; k < shapes.size(); ++k) {
    bool agrees = shapes[k].rank() == first.rank();
    for (int d = 0; agrees && d < first.rank(); ++d) {
      agrees = d == axis || shapes[k][d] == first[d];
    }
    if (!agrees) {
      fail(op, "input {} must have the shape of input 0 {} apart from axis {}, got {}", k,
           first.str(), axis, shapes[k].str());
    }
    dims[axis] += shapes[k][axis];
  }
  return Shape(dims);
}

// Copies between the parts (outer, size_k, inner) and the whole (outer,
// total, inner): into the whole when `join`, out of it otherwise.
void copy_parts(const std::vector<char*>& parts, const std::vector<Shape>& shapes, char* whole,
                const Shape& whole_shape, int axis, std::size_t element_bytes, bool join) {
  const AxisSplit split = split_at(whole_shape, axis);
  const std::size_t inner_bytes = static_cast<std::size_t>(split.inner) * element_bytes;
  parallel_for(split.outer, grain_for(split.size * split.inner),
               [&](std::int64_t first, std::int64_t last) {
                 for (std::int64_t o = first; o < last; ++o) {
                   std::int64_t offset = 0;  // along the axis
                   for (std::size_t k = 0; k < parts.size(); ++k) {
                     const std::int64_t size = shapes[k][axis];
                     const std::size_t bytes = static_cast<std::size_t>(size) * inner_bytes;
                     char* part = parts[k] + o * bytes;
                     char* at = whole + (o * split.size + offset) * inner_bytes;
                     if (join) {
                       std::memcpy(at, part, bytes);
                     } else {
                       std::memcpy(part, at, bytes);
                     }
                     offset += size;
                   }
                 }
               });
}

}  // namespace

Tensor concat_forward(const std::vector<Tensor>& inputs, int axis) {
  if (inputs.empty()) fail("concat", "needs at least one input, got none");
  std::vector<Shape> shapes;
  std::vector<char*> parts;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    check_min_rank("concat", fmt::format("input {}", k), inputs[k], 1);
    check_same_dtype("concat", "input 0", inputs[0], fmt::format("input {}", k), inputs[k]);
    shapes.push_back(inputs[k].shape());
    parts.push_back(static_cast<char*>(inputs[k].raw_data()));
  }
  const int a = resolve_axis("concat", axis, shapes[0]);
  Tensor out = Tensor::empty(joined_shape("concat", shapes, a), inputs[0].dtype());
  copy_parts(parts, shapes, static_cast<char*>(out.raw_data()), out.shape(), a,
             size_of(out.dtype()), true);
  return out;
}

std::vector<Tensor> concat_backward(const Tensor& dout, const std::vector<Shape>& input_shapes,
                                    int axis) {
  if (input_shapes.empty()) fail("concat backward", "needs at least one input shape, got none");
  const int a = resolve_axis("concat backward", axis, input_shapes[0]);
  check_shape("concat backward", "dout", dout, joined_shape("concat backward", input_shapes, a));
  std::vector<Tensor> grads;
  std::vector<char*> parts;
  for (const Shape& shape : input_shapes) {
    grads.push_back(Tensor::empty(shape, dout.dtype()));
    parts.push_back(static_cast<char*>(grads.back().raw_data()));
  }
  copy_parts(parts, input_shapes, static_cast<char*>(dout.raw_data()), dout.shape(), a,
             size_of(dout.dtype()), false);
  return grads;
}

Var concat(const std::vector<Var>& inputs, int axis) {
  if (inputs.empty()) fail("concat", "needs at least one input, got none");
  Op op("concat", inputs);
  std::vector<Tensor> values;
  std::vector<Shape> shapes;
  for (int i = 0; i < op.num_inputs(); ++i) {
    values.push_back(op.input(i));
    shapes.push_back(op.input(i).shape());
  }
  return op.finish(concat_forward(values, axis),
                   [shapes = std::move(shapes), axis](const Tensor& dout, InputGrads& grads) {
                     std::vector<Tensor> parts = concat_backward(dout, shapes, axis);
                     for (std::size_t i = 0; i < parts.size(); ++i) {
                       grads.add(static_cast<int>(i), std::move(parts[i]));
                     }
                   });
}

}  // namespace tg
