#include "ops/reduce/max.h"

#include <cmath>

#include "graph/checks.h"
#include "graph/op.h"
#include "graph/parallel.h"
#include "ops/kernels/axis.h"

namespace tg {
namespace {

// out[o, i] = max_j x[o, j, i] over x seen as (outer, size, inner).
template <class T>
void forward(const T* x, MaxCache& c, T* out) {
  std::int64_t* argmax = c.argmax.data();
  parallel_for(c.outer, grain_for(c.size * c.inner), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t o = first; o < last; ++o) {
      const T* block = x + o * c.size * c.inner;
      T* best = out + o * c.inner;
      std::int64_t* where = argmax + o * c.inner;
      for (std::int64_t i = 0; i < c.inner; ++i) {
        best[i] = block[i];
        where[i] = 0;
      }
      for (std::int64_t j = 1; j < c.size; ++j) {
        const T* row = block + j * c.inner;
        for (std::int64_t i = 0; i < c.inner; ++i) {
          // Strictly greater: a tie keeps the first. A NaN beats a number.
          if (row[i] > best[i] || (std::isnan(row[i]) && !std::isnan(best[i]))) {
            best[i] = row[i];
            where[i] = j;
          }
        }
      }
    }
  });
}

template <class T>
void backward(const T* dout, const MaxCache& c, T* dx) {
  for (std::int64_t o = 0; o < c.outer; ++o) {
    for (std::int64_t i = 0; i < c.inner; ++i) {
      const std::int64_t k = o * c.inner + i;
      dx[(o * c.size + c.argmax[k]) * c.inner + i] = dout[k];
    }
  }
}

MaxForward run(const Tensor& x, const AxisSplit& split, const Shape& out_shape) {
  MaxForward result{Tensor::empty(out_shape, x.dtype()),
                    {x.shape(), out_shape, split.outer, split.size, split.inner,
                     std::vector<std::int64_t>(split.outer * split.inner)}};
  dispatch(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    forward(x.data<T>(), result.cache, result.out.data<T>());
  });
  return result;
}

Var record(Op& op, MaxForward forward) {
  return op.finish(std::move(forward.out),
                   [cache = std::move(forward.cache)](const Tensor& dout, InputGrads& grads) {
                     grads.add(0, max_backward(dout, cache));
                   });
}

}  // namespace

MaxForward max_forward(const Tensor& x, int axis, bool keepdim) {
  check_min_rank("max", "x", x, 1);
  const int a = resolve_axis("max", axis, x.shape());
  return run(x, split_at(x.shape(), a), reduced_shape(x.shape(), a, keepdim));
}

MaxForward max_forward(const Tensor& x) {
  check_min_rank("max", "x", x, 0);
  return run(x, {1, x.numel(), 1}, Shape{});
}

Tensor max_backward(const Tensor& dout, const MaxCache& cache) {
  check_shape("max backward", "dout", dout, cache.out_shape);
  Tensor dx = Tensor::zeros(cache.x_shape, dout.dtype());
  dispatch(dout.dtype(), [&](auto zero) {
    using T = decltype(zero);
    backward(dout.data<T>(), cache, dx.data<T>());
  });
  return dx;
}

Var max(const Var& x, int axis, bool keepdim) {
  Op op("max", {x});
  return record(op, max_forward(op.input(0), axis, keepdim));
}

Var max(const Var& x) {
  Op op("max", {x});
  return record(op, max_forward(op.input(0)));
}

}  // namespace tg
