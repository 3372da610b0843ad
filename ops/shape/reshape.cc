#include "ops/shape/reshape.h"

#include <fmt/format.h>

#include "graph/checks.h"
#include "graph/op.h"
#include "ops/kernels/axis.h"

namespace tg {
namespace {

Var record(OpName name, const Var& x, const Shape& shape) {
  Op op(name, {x});
  const Shape x_shape = op.input(0).shape();
  return op.finish(op.input(0).reshape(shape), [x_shape](const Tensor& dout, InputGrads& grads) {
    grads.add(0, dout.reshape(x_shape));
  });
}

}  // namespace

Shape resolve_reshape(std::string_view op, const Shape& from,
                      const std::vector<std::int64_t>& dims) {
  std::vector<std::int64_t> resolved = dims;
  int inferred = -1;
  std::int64_t known = 1;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == -1 && inferred < 0) {
      inferred = static_cast<int>(i);
    } else if (dims[i] < 0) {
      fail(op, "the new shape [{}] may hold one -1 and no other negative size",
           fmt::join(dims, ","));
    } else if (__builtin_mul_overflow(known, dims[i], &known)) {
      fail(op, "the new shape [{}] has more elements than an int64 counts", fmt::join(dims, ","));
    }
  }
  if (inferred >= 0) {
    if (known == 0 || from.numel() % known != 0) {
      fail(op, "cannot view {} ({} elements) as [{}]", from.str(), from.numel(),
           fmt::join(dims, ","));
    }
    resolved[inferred] = from.numel() / known;
  }
  if (static_cast<int>(resolved.size()) > Shape::kMaxRank) {
    fail(op, "the new shape [{}] has more than {} axes", fmt::join(dims, ","), Shape::kMaxRank);
  }
  const Shape shape(resolved);
  if (shape.numel() != from.numel()) {
    fail(op, "cannot view {} ({} elements) as {} ({} elements)", from.str(), from.numel(),
         shape.str(), shape.numel());
  }
  return shape;
}

Var reshape(const Var& x, const std::vector<std::int64_t>& dims) {
  return record("reshape", x, resolve_reshape("reshape", x.shape(), dims));
}

Var flatten(const Var& x, int start_axis) {
  const Shape& from = x.shape();
  const int start = resolve_axis("flatten", start_axis, from);
  std::vector<std::int64_t> dims(from.begin(), from.begin() + start);
  dims.push_back(-1);
  return record("flatten", x, resolve_reshape("flatten", from, dims));
}

}  // namespace tg
