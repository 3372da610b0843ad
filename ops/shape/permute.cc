#include "ops/shape/permute.h"

#include <fmt/format.h>

#include "graph/checks.h"
#include "graph/op.h"
#include "ops/kernels/broadcast.h"

namespace tg {
namespace {

void check_axes(std::string_view op, const Tensor& x, const std::vector<int>& axes) {
  check_min_rank(op, "x", x, 0);
  std::vector<bool> seen(x.rank(), false);
  bool valid = static_cast<int>(axes.size()) == x.rank();
  for (std::size_t i = 0; valid && i < axes.size(); ++i) {
    valid = axes[i] >= 0 && axes[i] < x.rank() && !seen[axes[i]];
    if (valid) seen[axes[i]] = true;
  }
  if (!valid) {
    fail(op, "axes must be a permutation of 0..{} for x {}, got [{}]", x.rank() - 1, shape_str(x),
         fmt::join(axes, ","));
  }
}

// Copies x into its permuted layout: the output walked in row-major order,
// reading x with its strides reordered (BroadcastPlan as a strided walk: no
// axis is broadcast, axes that stay adjacent are merged).
Tensor permuted(const Tensor& x, const std::vector<int>& axes) {
  const int rank = x.rank();
  std::array<std::int64_t, Shape::kMaxRank> strides{};
  std::int64_t stride = 1;
  for (int k = rank - 1; k >= 0; --k) {
    strides[k] = stride;
    stride *= x.shape()[k];
  }
  std::vector<std::int64_t> dims(rank);
  BroadcastPlan plan;
  for (int i = 0; i < rank; ++i) {
    const int from = axes[i];
    dims[i] = x.shape()[from];
    if (dims[i] == 1) continue;
    const int last = plan.rank - 1;
    if (plan.rank > 0 && plan.a_strides[last] == strides[from] * dims[i]) {
      plan.dims[last] *= dims[i];
      plan.a_strides[last] = strides[from];
    } else {
      plan.dims[plan.rank] = dims[i];
      plan.a_strides[plan.rank] = strides[from];
      ++plan.rank;
    }
  }
  plan.out = Shape(dims);
  Tensor out = Tensor::empty(plan.out, x.dtype());
  const std::int64_t step = plan.rank == 0 ? 1 : plan.a_strides[plan.rank - 1];
  dispatch(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* in = x.data<T>();
    T* o = out.data<T>();
    for_each_broadcast_row(plan,
                           [&](std::int64_t ia, std::int64_t, std::int64_t io, std::int64_t n) {
                             for (std::int64_t i = 0; i < n; ++i) o[io + i] = in[ia + i * step];
                           });
  });
  return out;
}

std::vector<int> inverse(const std::vector<int>& axes) {
  std::vector<int> inv(axes.size());
  for (std::size_t i = 0; i < axes.size(); ++i) inv[axes[i]] = static_cast<int>(i);
  return inv;
}

Var record(OpName name, const Var& x, const std::vector<int>& axes) {
  Op op(name, {x});
  check_axes(name, op.input(0), axes);
  return op.finish(permuted(op.input(0), axes),
                   [inv = inverse(axes)](const Tensor& dout, InputGrads& grads) {
                     grads.add(0, permuted(dout, inv));
                   });
}

}  // namespace

Tensor permute_forward(const Tensor& x, const std::vector<int>& axes) {
  check_axes("permute", x, axes);
  return permuted(x, axes);
}

Tensor permute_backward(const Tensor& dout, const std::vector<int>& axes) {
  check_axes("permute backward", dout, axes);
  return permuted(dout, inverse(axes));
}

Var permute(const Var& x, const std::vector<int>& axes) { return record("permute", x, axes); }

Var transpose(const Var& x) {
  check_rank("transpose", "x", x.value(), 2);
  return record("transpose", x, {1, 0});
}

}  // namespace tg
