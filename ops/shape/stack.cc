#include "ops/shape/stack.h"

#include <fmt/format.h>

#include "graph/checks.h"
#include "graph/op.h"
#include "ops/kernels/axis.h"
#include "ops/shape/concat.h"

namespace tg {
namespace {

// `shape` with a new axis of size 1 at `axis` (resolved, 0..rank).
Shape with_unit_axis(const Shape& shape, int axis) {
  std::vector<std::int64_t> dims = shape.to_vector();
  dims.insert(dims.begin() + axis, 1);
  return Shape(dims);
}

int resolve_new_axis(std::string_view op, int axis, const Shape& shape) {
  if (shape.rank() >= Shape::kMaxRank) {
    fail(op, "inputs {} already have the maximum rank {}", shape.str(), Shape::kMaxRank);
  }
  return resolve_axis(op, axis, shape, /*one_past_last=*/true);
}

}  // namespace

Tensor stack_forward(const std::vector<Tensor>& inputs, int axis) {
  if (inputs.empty()) fail("stack", "needs at least one input, got none");
  check_min_rank("stack", "input 0", inputs[0], 0);
  const int a = resolve_new_axis("stack", axis, inputs[0].shape());
  std::vector<Tensor> parts;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    check_shape("stack", fmt::format("input {}", k), inputs[k], inputs[0].shape());
    check_same_dtype("stack", "input 0", inputs[0], fmt::format("input {}", k), inputs[k]);
    parts.push_back(inputs[k].reshape(with_unit_axis(inputs[k].shape(), a)));
  }
  return concat_forward(parts, a);
}

std::vector<Tensor> stack_backward(const Tensor& dout, std::size_t count, const Shape& input_shape,
                                   int axis) {
  const int a = resolve_new_axis("stack backward", axis, input_shape);
  if (count == 0) fail("stack backward", "needs at least one input, got none");
  const Shape part = with_unit_axis(input_shape, a);
  std::vector<std::int64_t> dims = part.to_vector();
  dims[a] = static_cast<std::int64_t>(count);
  check_shape("stack backward", "dout", dout, Shape(dims));
  std::vector<Tensor> grads = concat_backward(dout, std::vector<Shape>(count, part), a);
  for (Tensor& g : grads) g = g.reshape(input_shape);
  return grads;
}

Var stack(const std::vector<Var>& inputs, int axis) {
  if (inputs.empty()) fail("stack", "needs at least one input, got none");
  Op op("stack", inputs);
  std::vector<Tensor> values;
  for (int i = 0; i < op.num_inputs(); ++i) values.push_back(op.input(i));
  const Shape shape = values[0].shape();
  const std::size_t count = values.size();
  return op.finish(stack_forward(values, axis),
                   [shape, count, axis](const Tensor& dout, InputGrads& grads) {
                     std::vector<Tensor> parts = stack_backward(dout, count, shape, axis);
                     for (std::size_t i = 0; i < parts.size(); ++i) {
                       grads.add(static_cast<int>(i), std::move(parts[i]));
                     }
                   });
}

}  // namespace tg
