#include "ops/recurrent/rnn.h"

#include <utility>

#include "graph/checks.h"
#include "graph/op.h"
#include "ops/recurrent/recurrent_kernels.h"

namespace tg {
namespace {

constexpr char kStepOp[] = "rnn_step";
constexpr char kOp[] = "rnn";

template <class T>
void forward_steps(const Tensor& x, const Tensor& h0, const Tensor& b, const RecurrentDims& dims,
                   RnnCache& cache) {
  const std::int64_t n = dims.n, steps = dims.t, d = dims.d, hidden = dims.h;
  // Every step's x Wx + b at once; each step then adds prev_h Wh and applies
  // tanh in place, so h holds the pre-activations until its step runs.
  Tensor& h = cache.h;
  auto all_h = as_matrix<T>(h, n * steps, hidden);
  multiply_in_blocks(all_h, as_matrix<T>(x, n * steps, d), as_matrix<T>(cache.wx));
  all_h.rowwise() += as_row<T>(b);
  const auto wh = as_matrix<T>(cache.wh);
  for_each_batch_block(n, steps * hidden * hidden, [&](std::int64_t first, std::int64_t last) {
    const std::int64_t rows = last - first;
    for (std::int64_t t = 0; t < steps; ++t) {
      save_previous_hidden<T>(cache.prev_h, h0, h, t, first, last);
      const auto prev_all = step_rows<T>(std::as_const(cache.prev_h), t);
      const auto prev = prev_all.middleRows(first, rows);
      auto h_t = step_rows<T>(h, t);
      multiply(h_t.middleRows(first, rows), prev, wh, /*accumulate=*/true);
      T* out = h.data<T>() + t * hidden;
      for (std::int64_t row = first; row < last; ++row) {
        tanh_in_place(out + row * steps * hidden, hidden);
      }
    }
  });
}

RnnForward run_forward(OpName op, bool sequence, const Tensor& x, const Tensor& h0,
                       const Tensor& wx, const Tensor& wh, const Tensor& b) {
  const RecurrentDims dims =
      check_recurrent_inputs(op, sequence, x, sequence ? "h0" : "prev_h", h0, wx, wh, 1);
  check_recurrent_bias(op, "b", b, dims.h, x);
  RnnCache cache;
  cache.x = x.reshape({dims.n, dims.t, dims.d});
  cache.wx = wx;
  cache.wh = wh;
  cache.prev_h = Tensor::empty({dims.n, dims.t, dims.h}, x.dtype());
  cache.h = Tensor::empty({dims.n, dims.t, dims.h}, x.dtype());
  dispatch(x.dtype(),
           [&](auto zero) { forward_steps<decltype(zero)>(cache.x, h0, b, dims, cache); });
  Tensor h = cache.h;
  return {std::move(h), std::move(cache)};
}

template <class T>
RnnGrads backward_steps(const Tensor& dh, const RnnCache& cache, const RecurrentDims& dims,
                        bool need_dx) {
  const std::int64_t n = dims.n, steps = dims.t, hidden = dims.h;
  // da: the gradient of every step's pre-activation, dA = (dh_t + dnext) * (1 - h_t^2),
  // where dnext = dA_{t+1} Wh^T reaches h_t from the step after it.
  Tensor da = Tensor::empty({n, steps, hidden}, dh.dtype());
  Tensor dnext = Tensor::zeros({n, hidden}, dh.dtype());
  const auto wh = as_matrix<T>(cache.wh);
  for_each_batch_block(n, steps * hidden * hidden, [&](std::int64_t first, std::int64_t last) {
    const std::int64_t rows = last - first;
    auto dnext_rows = as_matrix<T>(dnext).middleRows(first, rows);
    for (std::int64_t t = steps - 1; t >= 0; --t) {
      const std::int64_t offset = t * hidden;
      const T* dh_t = dh.data<T>() + offset;
      const T* h_t = cache.h.data<T>() + offset;
      T* da_t = da.data<T>() + offset;
      const T* from_next = std::as_const(dnext).data<T>();
      for (std::int64_t row = first; row < last; ++row) {
        const std::int64_t at = row * steps * hidden;
#pragma omp simd
        for (std::int64_t j = 0; j < hidden; ++j) {
          const T y = h_t[at + j];
          da_t[at + j] = (dh_t[at + j] + from_next[row * hidden + j]) * (1 - y * y);
        }
      }
      const auto da_step = step_rows<T>(std::as_const(da), t);
      multiply(dnext_rows, da_step.middleRows(first, rows), wh.transpose());
    }
  });
  RnnGrads grads;
  grads.dh = std::move(dnext);
  ProductGrads products =
      product_grads<T>(dims, cache.x, cache.prev_h, cache.wx, cache.wh, da, da, need_dx);
  move_product_grads(products, grads);
  grads.db = std::move(products.db);
  return grads;
}

RnnGrads run_backward(OpName op, bool sequence, const Tensor& dh, const RnnCache& cache,
                      bool need_dx) {
  const RecurrentDims dims = cache_dims(op, "rnn_forward", sequence, cache.x, cache.wh);
  check_recurrent_dout(op, sequence ? "dh" : "dnext_h", sequence, dh, dims, cache.x);
  RnnGrads grads = dispatch(dh.dtype(), [&](auto zero) {
    return backward_steps<decltype(zero)>(dh.reshape({dims.n, dims.t, dims.h}), cache, dims,
                                          need_dx);
  });
  if (!sequence && grads.dx.defined()) grads.dx = grads.dx.reshape({dims.n, dims.d});
  return grads;
}

Var record(OpName name, bool sequence, const Var& x, const Var& h0, const Var& wx, const Var& wh,
           const Var& b) {
  Op op(name, {x, h0, wx, wh, b});
  RnnForward result =
      run_forward(name, sequence, op.input(0), op.input(1), op.input(2), op.input(3), op.input(4));
  Tensor out = sequence ? result.h : result.h.reshape({result.h.dim(0), result.h.dim(2)});
  return op.finish(std::move(out), [name, sequence, cache = std::move(result.cache)](
                                       const Tensor& dout, InputGrads& grads) {
    RnnGrads g = run_backward(name, sequence, dout, cache, grads.wants(0));
    grads.add(0, std::move(g.dx));
    grads.add(1, std::move(g.dh));
    grads.add(2, std::move(g.dwx));
    grads.add(3, std::move(g.dwh));
    grads.add(4, std::move(g.db));
  });
}

}  // namespace

RnnStepForward rnn_step_forward(const Tensor& x, const Tensor& prev_h, const Tensor& wx,
                                const Tensor& wh, const Tensor& b) {
  RnnForward result = run_forward(kStepOp, false, x, prev_h, wx, wh, b);
  return {result.h.reshape({result.h.dim(0), result.h.dim(2)}), std::move(result.cache)};
}

RnnGrads rnn_step_backward(const Tensor& dnext_h, const RnnCache& cache, bool need_dx) {
  return run_backward("rnn_step backward", false, dnext_h, cache, need_dx);
}

RnnForward rnn_forward(const Tensor& x, const Tensor& h0, const Tensor& wx, const Tensor& wh,
                       const Tensor& b) {
  return run_forward(kOp, true, x, h0, wx, wh, b);
}

RnnGrads rnn_backward(const Tensor& dh, const RnnCache& cache, bool need_dx) {
  return run_backward("rnn backward", true, dh, cache, need_dx);
}

Var rnn_step(const Var& x, const Var& prev_h, const Var& wx, const Var& wh, const Var& b) {
  return record(kStepOp, false, x, prev_h, wx, wh, b);
}

Var rnn(const Var& x, const Var& h0, const Var& wx, const Var& wh, const Var& b) {
  return record(kOp, true, x, h0, wx, wh, b);
}

}  // namespace tg
