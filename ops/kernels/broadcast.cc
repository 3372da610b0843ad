#include "ops/kernels/broadcast.h"

#include <algorithm>
#include <vector>

#include "graph/checks.h"
#include "ops/kernels/reductions.h"

namespace tg {
namespace {

// Dimension `k` of `shape` aligned to `rank` axes at the last axis (missing
// leading axes are 1).
std::int64_t aligned_dim(const Shape& shape, int rank, int k) {
  const int missing = rank - shape.rank();
  return k < missing ? 1 : shape[k - missing];
}

// Row-major strides of `shape` aligned to `rank` axes, 0 where the operand
// has size 1 (it is broadcast there, or the axis is dropped).
std::array<std::int64_t, Shape::kMaxRank> aligned_strides(const Shape& shape, int rank) {
  std::array<std::int64_t, Shape::kMaxRank> strides{};
  std::int64_t stride = 1;
  for (int k = rank - 1; k >= 0; --k) {
    const std::int64_t dim = aligned_dim(shape, rank, k);
    strides[k] = dim == 1 ? 0 : stride;
    stride *= dim;
  }
  return strides;
}

// The sum of all elements of p in fixed blocks (summed in parallel), the
// block sums added in order: the same result for any number of threads.
template <class T>
double total_sum(const T* p, std::int64_t n) {
  constexpr std::int64_t kBlock = 1 << 14;
  const std::int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(static_cast<std::size_t>(blocks));
  parallel_for(blocks, grain_for(kBlock), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t k = first; k < last; ++k) {
      partial[k] = block_sum(p + k * kBlock, std::min(kBlock, n - k * kBlock));
    }
  });
  double total = 0.0;
  for (double s : partial) total += s;
  return total;
}

// Adds the terms of merged axes level.. of t (indices [begin, end) on
// `level`) into acc, in row-major order. plan.a_strides walk t and
// plan.b_strides walk acc (0 on the axes summed away).
template <class T>
void accumulate(const BroadcastPlan& plan, int level, std::int64_t begin, std::int64_t end,
                const T* t, double* acc) {
  const std::int64_t t_stride = plan.a_strides[level];
  const std::int64_t acc_stride = plan.b_strides[level];
  if (level == plan.rank - 1) {
    if (acc_stride == 0) {
      *acc += block_sum(t + begin, end - begin);
    } else {
#pragma omp simd
      for (std::int64_t i = begin; i < end; ++i) acc[i] += t[i];
    }
    return;
  }
  for (std::int64_t i = begin; i < end; ++i) {
    accumulate(plan, level + 1, 0, plan.dims[level + 1], t + i * t_stride, acc + i * acc_stride);
  }
}

template <class T>
void sum_to(const BroadcastPlan& plan, const T* t, T* out, std::int64_t out_numel) {
  if (out_numel == 1) {
    out[0] = static_cast<T>(total_sum(t, plan.out.numel()));
    return;
  }
  std::vector<double> acc(static_cast<std::size_t>(out_numel), 0.0);
  // Merged axes alternate between summed and kept, so the first kept axis is
  // axis 0 or 1. Threads split that axis: each output element is summed by
  // one thread, in row-major order of t.
  const int kept = plan.b_strides[0] != 0 ? 0 : 1;
  const std::int64_t per_index = plan.out.numel() / plan.dims[kept];
  parallel_for(plan.dims[kept], grain_for(per_index), [&](std::int64_t begin, std::int64_t end) {
    if (kept == 0) {
      accumulate(plan, 0, begin, end, t, acc.data());
    } else {
      for (std::int64_t j = 0; j < plan.dims[0]; ++j) {
        accumulate(plan, 1, begin, end, t + j * plan.a_strides[0], acc.data());
      }
    }
  });
  for (std::int64_t i = 0; i < out_numel; ++i) out[i] = static_cast<T>(acc[i]);
}

}  // namespace

Shape broadcast_shape(std::string_view op, std::string_view what_a, const Shape& a,
                      std::string_view what_b, const Shape& b) {
  const int rank = std::max(a.rank(), b.rank());
  std::vector<std::int64_t> dims(rank);
  for (int k = rank - 1; k >= 0; --k) {  // the first mismatch from the end is reported
    const std::int64_t da = aligned_dim(a, rank, k);
    const std::int64_t db = aligned_dim(b, rank, k);
    if (da != db && da != 1 && db != 1) {
      fail(op, "{} must broadcast with {} {}, got {} (axis {}: {} vs {})", what_b, what_a, a.str(),
           b.str(), k - rank, da, db);
    }
    dims[k] = da == 1 ? db : da;
  }
  return Shape(dims);
}

BroadcastPlan plan_broadcast(std::string_view op, std::string_view what_a, const Shape& a,
                             std::string_view what_b, const Shape& b) {
  BroadcastPlan plan;
  if (a == b) {  // the common case, one flat axis
    plan.out = a;
    if (a.numel() != 1) {
      plan.rank = 1;
      plan.dims[0] = a.numel();
      plan.a_strides[0] = plan.b_strides[0] = 1;
    }
    return plan;
  }
  plan.out = broadcast_shape(op, what_a, a, what_b, b);
  const int rank = plan.out.rank();
  const auto a_strides = aligned_strides(a, rank);
  const auto b_strides = aligned_strides(b, rank);
  for (int k = 0; k < rank; ++k) {
    if (plan.out[k] == 1) continue;  // no axis to walk
    const int last = plan.rank - 1;
    const bool merges = plan.rank > 0 && (a_strides[k] == 0) == (plan.a_strides[last] == 0) &&
                        (b_strides[k] == 0) == (plan.b_strides[last] == 0);
    if (merges) {
      // Both axes step alike in each operand: the outer stride is the inner
      // one times the inner dimension, so they walk as one axis.
      plan.dims[last] *= plan.out[k];
      plan.a_strides[last] = a_strides[k];
      plan.b_strides[last] = b_strides[k];
    } else {
      plan.dims[plan.rank] = plan.out[k];
      plan.a_strides[plan.rank] = a_strides[k];
      plan.b_strides[plan.rank] = b_strides[k];
      ++plan.rank;
    }
  }
  return plan;
}

Tensor broadcast_to(std::string_view op, const Tensor& t, const Shape& shape) {
  if (t.shape() == shape) return t;
  const BroadcastPlan plan = plan_broadcast(op, "the target", shape, "the input", t.shape());
  if (plan.out != shape) {
    fail(op, "the input {} cannot be broadcast to {} (the result would be {})", t.shape().str(),
         shape.str(), plan.out.str());
  }
  Tensor out = Tensor::empty(shape, t.dtype());
  const bool steps = plan.rank == 0 || plan.b_strides[plan.rank - 1] != 0;
  dispatch(t.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* in = t.data<T>();
    T* o = out.data<T>();
    for_each_broadcast_row(plan,
                           [&](std::int64_t, std::int64_t ib, std::int64_t io, std::int64_t n) {
                             if (steps) {
                               std::copy(in + ib, in + ib + n, o + io);
                             } else {
                               std::fill(o + io, o + io + n, in[ib]);
                             }
                           });
  });
  return out;
}

Tensor sum_to_shape(const Tensor& t, const Shape& shape) {
  if (t.shape() == shape) return t;
  const BroadcastPlan plan = plan_broadcast("sum_to_shape", "t", t.shape(), "the target", shape);
  if (plan.out != t.shape()) {
    fail("sum_to_shape", "the target {} does not broadcast to t {}", shape.str(), t.shape().str());
  }
  if (t.numel() == 0) return Tensor::zeros(shape, t.dtype());
  Tensor out = Tensor::empty(shape, t.dtype());
  dispatch(t.dtype(), [&](auto zero) {
    using T = decltype(zero);
    sum_to<T>(plan, t.data<T>(), out.data<T>(), shape.numel());
  });
  return out;
}

}  // namespace tg
