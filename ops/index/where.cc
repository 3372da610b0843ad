#include "ops/index/where.h"

#include "graph/checks.h"
#include "graph/op.h"
#include "graph/parallel.h"
#include "ops/kernels/broadcast.h"
#include "ops/kernels/elementwise.h"

namespace tg {
namespace {

constexpr char kOp[] = "where";

void check_mask(const Tensor& mask) {
  check_min_rank(kOp, "mask", mask, 0);
  const std::vector<double> values = mask.to_vector();
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] != 0.0 && values[i] != 1.0) {
      fail(kOp, "mask element {} (row-major) is {}; a mask holds only 0 and 1", i, values[i]);
    }
  }
}

}  // namespace

WhereForward where_forward(const Tensor& mask, const Tensor& a, const Tensor& b) {
  check_mask(mask);
  check_min_rank(kOp, "a", a, 0);
  check_min_rank(kOp, "b", b, 0);
  check_same_dtype(kOp, "a", a, "b", b);
  const Shape mask_and_a = broadcast_shape(kOp, "mask", mask.shape(), "a", a.shape());
  const Shape shape = broadcast_shape(kOp, "mask and a", mask_and_a, "b", b.shape());
  const Tensor m = broadcast_to(kOp, mask.dtype() == a.dtype() ? mask : mask.to(a.dtype()), shape);
  const Tensor af = broadcast_to(kOp, a, shape);
  const Tensor bf = broadcast_to(kOp, b, shape);
  Tensor out = Tensor::empty(shape, a.dtype());
  dispatch(a.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* pm = m.data<T>();
    const T* pa = af.data<T>();
    const T* pb = bf.data<T>();
    T* o = out.data<T>();
    parallel_for(out.numel(), grain_for(1), [&](std::int64_t begin, std::int64_t end) {
#pragma omp simd
      for (std::int64_t i = begin; i < end; ++i) o[i] = pm[i] != 0 ? pa[i] : pb[i];
    });
  });
  return {std::move(out), {m, a.shape(), b.shape()}};
}

WhereGrads where_backward(const Tensor& dout, const WhereCache& cache, bool need_da, bool need_db) {
  check_shape("where backward", "dout", dout, cache.mask.shape());
  check_same_dtype("where backward", "dout", dout, "the mask", cache.mask);
  WhereGrads grads;
  if (need_da) {
    grads.da = sum_to_shape(
        map_elements(cache.mask, dout, [](auto m, auto d) { return m != 0 ? d : decltype(d){0}; }),
        cache.a_shape);
  }
  if (need_db) {
    grads.db = sum_to_shape(
        map_elements(cache.mask, dout, [](auto m, auto d) { return m != 0 ? decltype(d){0} : d; }),
        cache.b_shape);
  }
  return grads;
}

Var where(const Tensor& mask, const Var& a, const Var& b) {
  Op op(kOp, {a, b});
  auto [out, cache] = where_forward(mask, op.input(0), op.input(1));
  return op.finish(std::move(out),
                   [cache = std::move(cache)](const Tensor& dout, InputGrads& grads) {
                     WhereGrads g = where_backward(dout, cache, grads.wants(0), grads.wants(1));
                     grads.add(0, std::move(g.da));
                     grads.add(1, std::move(g.db));
                   });
}

}  // namespace tg
