// Helpers for the elementwise ops (exp, tanh, sigmoid, ...): a vectorised,
// parallel loop applying a function to every element, the argument checks
// they share, and scalar constants for the Var-with-number operators.
#pragma once

#include <cstdint>
#include <string_view>

#include "graph/checks.h"
#include "graph/parallel.h"
#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

// out[i] = f(x[i]). f is a generic lambda, called with float or double.
template <class F>
Tensor map_elements(const Tensor& x, F f) {
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* in = x.data<T>();
    T* o = out.data<T>();
    parallel_for(x.numel(), grain_for(1), [&](std::int64_t begin, std::int64_t end) {
#pragma omp simd
      for (std::int64_t i = begin; i < end; ++i) o[i] = f(in[i]);
    });
  });
  return out;
}

// out[i] = f(x[i], y[i]) for x and y of one shape and dtype (in a backward:
// the upstream gradient and a tensor saved by the forward).
template <class F>
Tensor map_elements(const Tensor& x, const Tensor& y, F f) {
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* a = x.data<T>();
    const T* b = y.data<T>();
    T* o = out.data<T>();
    parallel_for(x.numel(), grain_for(1), [&](std::int64_t begin, std::int64_t end) {
#pragma omp simd
      for (std::int64_t i = begin; i < end; ++i) o[i] = f(a[i], b[i]);
    });
  });
  return out;
}

// The input of an elementwise op: defined, any rank, no zero-size axis.
inline void check_elementwise_input(std::string_view op, const Tensor& x) {
  check_min_rank(op, "x", x, 0);
}

// The upstream gradient of an elementwise op matches the tensor its forward
// saved (its input or output) in shape and dtype. `op` is "<name> backward".
inline void check_elementwise_backward(std::string_view op, const Tensor& dout,
                                       std::string_view what, const Tensor& saved) {
  check_shape(op, "dout", dout, saved.shape());
  check_same_dtype(op, "dout", dout, what, saved);
}

// A scalar (shape ()) constant on the tape of `like`, in its dtype: the
// number in x + 1.0, 1.0 - x, x / 3.0. Throws TapeError when `like` is a
// parameter not yet on a tape.
inline Var scalar_constant(const Var& like, double value) {
  return like.tape().constant(Tensor::full({}, value, like.dtype()));
}

}  // namespace tg
