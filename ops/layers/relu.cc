#include "ops/layers/relu.h"

#include "graph/checks.h"
#include "graph/op.h"
#include "graph/parallel.h"

namespace tg {

ReluForward relu_forward(const Tensor& x) {
  check_min_rank("relu", "x", x, 0);
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* in = x.data<T>();
    T* o = out.data<T>();
    parallel_for(x.numel(), grain_for(1), [&](std::int64_t begin, std::int64_t end) {
#pragma omp simd
      for (std::int64_t i = begin; i < end; ++i) {
        const T value = in[i];
        o[i] = value > T(0) ? value : T(0);
      }
    });
  });
  return {std::move(out), {x}};
}

Tensor relu_backward(const Tensor& dout, const ReluCache& cache) {
  check_shape("relu backward", "dout", dout, cache.x.shape());
  check_same_dtype("relu backward", "dout", dout, "x", cache.x);
  Tensor dx = Tensor::empty(dout.shape(), dout.dtype());
  dispatch(dout.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* x = cache.x.data<T>();
    const T* d = dout.data<T>();
    T* g = dx.data<T>();
    parallel_for(dout.numel(), grain_for(1), [&](std::int64_t begin, std::int64_t end) {
    // Both loads unconditional, so this compiles to a vector select, not
    // a branch mispredicted on half of the elements.
#pragma omp simd
      for (std::int64_t i = begin; i < end; ++i) {
        const T upstream = d[i];
        g[i] = x[i] > T(0) ? upstream : T(0);
      }
    });
  });
  return dx;
}

Var relu(const Var& x) {
  Op op("relu", {x});
  auto [out, cache] = relu_forward(op.input(0));
  return op.finish(std::move(out),
                   [cache = std::move(cache)](const Tensor& dout, InputGrads& grads) {
                     grads.add(0, relu_backward(dout, cache));
                   });
}

}  // namespace tg
