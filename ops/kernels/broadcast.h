// NumPy broadcasting, shared by every binary op (add, sub, mul, div, where):
// the shape rule, a strided walk over the output, and the reduction that sums
// a gradient back to the shape of a broadcast input.
//
// The rule: shapes are aligned at their last axis; two dimensions match when
// they are equal or one is 1 (a missing leading axis counts as 1); the output
// takes the larger. (N,D) with (D), (N,C,H,W) with (1,C,1,1) and anything
// with a scalar () broadcast.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "graph/parallel.h"
#include "graph/shape.h"
#include "graph/tensor.h"

namespace tg {

// The broadcast shape of a and b; throws ArgumentError "op: <what_b> must
// broadcast with <what_a> (2,3), got (3,2) (axis -1: 3 vs 2)".
Shape broadcast_shape(std::string_view op, std::string_view what_a, const Shape& a,
                      std::string_view what_b, const Shape& b);

// How two operands map onto their broadcast output, with adjacent axes merged
// where neither operand's broadcasting changes and size-1 output axes dropped.
// (N,D)+(D) becomes dims (N, D), strides a (D, 1), b (0, 1); (N,C,H,W) *
// (1,C,1,1) becomes dims (N, C, H*W), strides a (C*H*W, H*W, 1), b (0, 1, 0);
// same shapes become one axis. Strides count elements; 0 marks a broadcast.
struct BroadcastPlan {
  Shape out;     // the broadcast shape
  int rank = 0;  // merged axes (0: a single element)
  std::array<std::int64_t, Shape::kMaxRank> dims{};
  std::array<std::int64_t, Shape::kMaxRank> a_strides{};
  std::array<std::int64_t, Shape::kMaxRank> b_strides{};
  std::int64_t inner() const { return rank == 0 ? 1 : dims[rank - 1]; }
};

BroadcastPlan plan_broadcast(std::string_view op, std::string_view what_a, const Shape& a,
                             std::string_view what_b, const Shape& b);

// Calls row(a_offset, b_offset, out_offset, count) for every row (the last
// merged axis) of the output, in parallel pieces of rows; offsets count
// elements. A single-axis plan is cut into pieces of that axis instead.
template <class Row>
void for_each_broadcast_row(const BroadcastPlan& plan, Row&& row) {
  const int rank = plan.rank;
  if (plan.out.numel() == 0) return;
  if (rank <= 1) {
    const std::int64_t n = plan.inner();
    const std::int64_t a_step = rank == 0 ? 0 : plan.a_strides[0];
    const std::int64_t b_step = rank == 0 ? 0 : plan.b_strides[0];
    parallel_for(n, grain_for(1), [&](std::int64_t begin, std::int64_t end) {
      row(begin * a_step, begin * b_step, begin, end - begin);
    });
    return;
  }
  const std::int64_t inner = plan.inner();
  const std::int64_t rows = plan.out.numel() / inner;
  parallel_for(rows, grain_for(inner), [&](std::int64_t first, std::int64_t last) {
    // An odometer over the outer merged axes, started at row `first`.
    std::array<std::int64_t, Shape::kMaxRank> index{};
    std::int64_t a_offset = 0, b_offset = 0;
    for (std::int64_t rest = first, axis = rank - 2; axis >= 0; --axis) {
      index[axis] = rest % plan.dims[axis];
      rest /= plan.dims[axis];
      a_offset += index[axis] * plan.a_strides[axis];
      b_offset += index[axis] * plan.b_strides[axis];
    }
    for (std::int64_t r = first; r < last; ++r) {
      row(a_offset, b_offset, r * inner, inner);
      for (int axis = rank - 2; axis >= 0; --axis) {
        a_offset += plan.a_strides[axis];
        b_offset += plan.b_strides[axis];
        if (++index[axis] < plan.dims[axis]) break;
        a_offset -= plan.a_strides[axis] * plan.dims[axis];
        b_offset -= plan.b_strides[axis] * plan.dims[axis];
        index[axis] = 0;
      }
    }
  });
}

// out = f(a, b) elementwise over the broadcast shape of the plan. The rows
// are vectorised loops, specialised for an operand that is constant along
// the row (a bias in (N,D)+(D) has none; a channel scale in (N,C,H,W) *
// (1,C,1,1) is constant along each H*W row).
template <class T, class F>
void broadcast_map(const BroadcastPlan& plan, const T* a, const T* b, T* out, F f) {
  const bool a_steps = plan.rank == 0 || plan.a_strides[plan.rank - 1] != 0;
  const bool b_steps = plan.rank == 0 || plan.b_strides[plan.rank - 1] != 0;
  for_each_broadcast_row(plan,
                         [&](std::int64_t ia, std::int64_t ib, std::int64_t io, std::int64_t n) {
                           const T* pa = a + ia;
                           const T* pb = b + ib;
                           T* po = out + io;
                           if (a_steps && b_steps) {
#pragma omp simd
                             for (std::int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
                           } else if (a_steps) {
                             const T y = *pb;
#pragma omp simd
                             for (std::int64_t i = 0; i < n; ++i) po[i] = f(pa[i], y);
                           } else {
                             const T x = *pa;
#pragma omp simd
                             for (std::int64_t i = 0; i < n; ++i) po[i] = f(x, pb[i]);
                           }
                         });
}

// f(a, b) over the broadcast shape of a and b (same dtype), as a new tensor.
// f is called with T = float or double: a generic lambda.
template <class F>
Tensor broadcast_binary(std::string_view op, const Tensor& a, const Tensor& b, F f) {
  const BroadcastPlan plan = plan_broadcast(op, "a", a.shape(), "b", b.shape());
  Tensor out = Tensor::empty(plan.out, a.dtype());
  dispatch(a.dtype(), [&](auto zero) {
    using T = decltype(zero);
    broadcast_map<T>(plan, a.data<T>(), b.data<T>(), out.data<T>(), f);
  });
  return out;
}

// t copied out to `shape`, which t must broadcast to; t itself (no copy)
// when the shapes are equal.
Tensor broadcast_to(std::string_view op, const Tensor& t, const Shape& shape);

// The gradient of an input of shape `shape` that was broadcast to t's shape:
// t summed over the broadcast axes, reshaped to `shape`; t itself (no copy)
// when the shapes are equal. Each element sums its terms in row-major order
// of t, in double, whatever the number of threads.
Tensor sum_to_shape(const Tensor& t, const Shape& shape);

}  // namespace tg
