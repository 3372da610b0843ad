#include "graph/format.h"

namespace tg {
namespace {

constexpr std::int64_t kEdgeItems = 3;  // shown at each end of a long axis
constexpr std::int64_t kSummariseAbove = 8;

void append_axis(std::string& out, const std::vector<double>& values, const Shape& shape, int axis,
                 std::int64_t offset, std::int64_t stride, int indent) {
  const std::int64_t size = shape[axis];
  const std::int64_t inner = stride / (size == 0 ? 1 : size);
  out += '[';
  for (std::int64_t i = 0; i < size; ++i) {
    if (size > kSummariseAbove && i == kEdgeItems) {
      out += axis + 1 == shape.rank() ? "..., " : fmt::format("...,\n{:{}}", "", indent + 1);
      i = size - kEdgeItems - 1;
      continue;
    }
    if (axis + 1 == shape.rank()) {
      out += fmt::format("{:.6g}", values[static_cast<std::size_t>(offset + i)]);
    } else {
      append_axis(out, values, shape, axis + 1, offset + i * inner, inner, indent + 1);
    }
    if (i + 1 < size)
      out += axis + 1 == shape.rank() ? ", " : fmt::format(",\n{:{}}", "", indent + 1);
  }
  out += ']';
}

}  // namespace

std::string to_string(const Tensor& tensor) {
  if (!tensor.defined()) return "tensor(undefined)";
  std::string out = fmt::format("tensor({}, {}", name_of(tensor.dtype()), tensor.shape().str());
  const std::vector<double> values = tensor.to_vector();
  if (tensor.rank() == 0) {
    out += fmt::format(", {:.6g})", values[0]);
    return out;
  }
  out += ",\n";
  append_axis(out, values, tensor.shape(), 0, 0, tensor.numel(), 0);
  out += ')';
  return out;
}

}  // namespace tg
