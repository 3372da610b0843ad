#include "ops/reduce/softmax.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "graph/checks.h"
#include "graph/op.h"
#include "graph/parallel.h"
#include "ops/kernels/axis.h"

namespace tg {
namespace {

// The slices along the axis: x seen as (outer, size, inner), slice (o, i)
// holds the `size` elements o * size * inner + i + j * inner. Calls
// f(offset, stride) for each, in parallel; the stride is a compile-time 1
// for the last axis, so those loops vectorise.
template <class F>
void for_each_slice(const AxisSplit& s, F f) {
  parallel_for(s.outer * s.inner, grain_for(s.size), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t k = first; k < last; ++k) {
      const std::int64_t offset = (k / s.inner) * s.size * s.inner + k % s.inner;
      if (s.inner == 1) {
        f(offset, std::integral_constant<std::int64_t, 1>{});
      } else {
        f(offset, s.inner);
      }
    }
  });
}

// Writes softmax (or log_softmax) of one slice of x to the same slice of out.
template <class T, class Stride>
void forward_slice(const T* x, T* out, std::int64_t size, Stride stride, bool log) {
  T max = x[0];
  for (std::int64_t j = 1; j < size; ++j) max = std::max(max, x[j * stride]);
  double sum = 0.0;
  if (log) {
    for (std::int64_t j = 0; j < size; ++j) sum += std::exp(x[j * stride] - max);
    const T log_sum = static_cast<T>(std::log(sum));
    for (std::int64_t j = 0; j < size; ++j) out[j * stride] = (x[j * stride] - max) - log_sum;
    return;
  }
  for (std::int64_t j = 0; j < size; ++j) {
    const T e = std::exp(x[j * stride] - max);
    out[j * stride] = e;
    sum += e;
  }
  const T inverse = static_cast<T>(1.0 / sum);
  for (std::int64_t j = 0; j < size; ++j) out[j * stride] *= inverse;
}

// The backward of one slice, from the forward's output y.
template <class T, class Stride>
void backward_slice(const T* d, const T* y, T* dx, std::int64_t size, Stride stride, bool log) {
  double total = 0.0;  // sum(dout * y) for softmax, sum(dout) for log_softmax
  for (std::int64_t j = 0; j < size; ++j)
    total += log ? d[j * stride] : d[j * stride] * y[j * stride];
  const T t = static_cast<T>(total);
  for (std::int64_t j = 0; j < size; ++j) {
    const std::int64_t at = j * stride;
    dx[at] = log ? d[at] - std::exp(y[at]) * t : y[at] * (d[at] - t);
  }
}

Tensor forward(std::string_view op, const Tensor& x, int axis, bool log) {
  check_min_rank(op, "x", x, 1);
  const AxisSplit s = split_at(x.shape(), resolve_axis(op, axis, x.shape()));
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* in = x.data<T>();
    T* o = out.data<T>();
    for_each_slice(s, [&](std::int64_t offset, auto stride) {
      forward_slice(in + offset, o + offset, s.size, stride, log);
    });
  });
  return out;
}

Tensor backward(std::string_view op, const Tensor& dout, const Tensor& out, int axis, bool log) {
  check_shape(op, "dout", dout, out.shape());
  check_same_dtype(op, "dout", dout, "out", out);
  const AxisSplit s = split_at(out.shape(), resolve_axis(op, axis, out.shape()));
  Tensor dx = Tensor::empty(out.shape(), out.dtype());
  dispatch(out.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* d = dout.data<T>();
    const T* y = out.data<T>();
    T* g = dx.data<T>();
    for_each_slice(s, [&](std::int64_t offset, auto stride) {
      backward_slice(d + offset, y + offset, g + offset, s.size, stride, log);
    });
  });
  return dx;
}

Var record(OpName name, const Var& x, int axis, bool log) {
  Op op(name, {x});
  Tensor out = forward(name, op.input(0), axis, log);
  return op.finish(out, [out, axis, log](const Tensor& dout, InputGrads& grads) {
    grads.add(0, backward(log ? "log_softmax backward" : "softmax backward", dout, out, axis, log));
  });
}

}  // namespace

Tensor softmax_forward(const Tensor& x, int axis) { return forward("softmax", x, axis, false); }

Tensor softmax_backward(const Tensor& dout, const Tensor& out, int axis) {
  return backward("softmax backward", dout, out, axis, false);
}

Tensor log_softmax_forward(const Tensor& x, int axis) {
  return forward("log_softmax", x, axis, true);
}

Tensor log_softmax_backward(const Tensor& dout, const Tensor& out, int axis) {
  return backward("log_softmax backward", dout, out, axis, true);
}

Var softmax(const Var& x, int axis) { return record("softmax", x, axis, false); }

Var log_softmax(const Var& x, int axis) { return record("log_softmax", x, axis, true); }

}  // namespace tg
