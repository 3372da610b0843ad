#include "ops/recurrent/lstm.h"

#include <utility>

#include "graph/checks.h"
#include "graph/op.h"
#include "ops/recurrent/recurrent_kernels.h"

namespace tg {
namespace {

constexpr char kStepOp[] = "lstm_step";
constexpr char kOp[] = "lstm";
constexpr int kGates = 4;  // i, f, o, g

// One step for rows [first, last): the gates' activations in place, then the
// cell and hidden states. a: the step's (N, 4H) pre-activations, rows `stride`
// apart; c_prev rows `c_prev_stride` apart; c, tanh_c, h rows `stride / 4` apart.
template <class T>
void cell_forward(std::int64_t first, std::int64_t last, std::int64_t hidden,
                  std::int64_t row_stride, T* a, const T* c_prev, std::int64_t c_prev_stride, T* c,
                  T* tanh_c, T* h) {
  for (std::int64_t row = first; row < last; ++row) {
    T* gates = a + row * kGates * row_stride;
    sigmoid_in_place(gates, 3 * hidden);
    tanh_in_place(gates + 3 * hidden, hidden);
    const T* i = gates;
    const T* f = gates + hidden;
    const T* o = gates + 2 * hidden;
    const T* g = gates + 3 * hidden;
    const T* cp = c_prev + row * c_prev_stride;
    T* c_row = c + row * row_stride;
    T* tc = tanh_c + row * row_stride;
    T* h_row = h + row * row_stride;
#pragma omp simd
    for (std::int64_t j = 0; j < hidden; ++j) {
      c_row[j] = f[j] * cp[j] + i[j] * g[j];
      tc[j] = c_row[j];
    }
    tanh_in_place(tc, hidden);
#pragma omp simd
    for (std::int64_t j = 0; j < hidden; ++j) h_row[j] = o[j] * tc[j];
  }
}

template <class T>
void forward_steps(const Tensor& h0, const Tensor& b, const RecurrentDims& dims, Tensor& h,
                   LstmCache& cache) {
  const std::int64_t n = dims.n, steps = dims.t, d = dims.d, hidden = dims.h;
  // Every step's x Wx + b at once; each step then adds prev_h Wh.
  auto all_gates = as_matrix<T>(cache.gates, n * steps, kGates * hidden);
  multiply_in_blocks(all_gates, as_matrix<T>(cache.x, n * steps, d), as_matrix<T>(cache.wx));
  all_gates.rowwise() += as_row<T>(b);
  const auto wh = as_matrix<T>(cache.wh);
  const std::int64_t stride = steps * hidden;  // between the rows of one step of (N, T, H)
  const std::int64_t work = steps * hidden * kGates * hidden;
  for_each_batch_block(n, work, [&](std::int64_t first, std::int64_t last) {
    const std::int64_t rows = last - first;
    for (std::int64_t t = 0; t < steps; ++t) {
      save_previous_hidden<T>(cache.prev_h, h0, h, t, first, last);
      const auto prev_all = step_rows<T>(std::as_const(cache.prev_h), t);
      const auto prev = prev_all.middleRows(first, rows);
      auto gates_t = step_rows<T>(cache.gates, t);
      multiply(gates_t.middleRows(first, rows), prev, wh, /*accumulate=*/true);
      const T* c_prev = t == 0 ? cache.c0.data<T>() : cache.c.data<T>() + (t - 1) * hidden;
      const std::int64_t c_prev_stride = t == 0 ? hidden : stride;
      const std::int64_t at = t * hidden;
      cell_forward(first, last, hidden, stride, cache.gates.data<T>() + kGates * at, c_prev,
                   c_prev_stride, cache.c.data<T>() + at, cache.tanh_c.data<T>() + at,
                   h.data<T>() + at);
    }
  });
}

LstmForward run_forward(OpName op, bool sequence, const Tensor& x, const Tensor& h0,
                        const Tensor& c0, const Tensor& wx, const Tensor& wh, const Tensor& b) {
  const RecurrentDims dims =
      check_recurrent_inputs(op, sequence, x, sequence ? "h0" : "prev_h", h0, wx, wh, kGates);
  check_recurrent_bias(op, "b", b, kGates * dims.h, x);
  const Shape state{dims.n, dims.h};
  const Shape states{dims.n, dims.t, dims.h};
  LstmCache cache;
  if (c0.defined()) {
    check_shape(op, "prev_c", c0, state);
    check_same_dtype(op, "x", x, "prev_c", c0);
    cache.c0 = c0;
  } else {
    cache.c0 = Tensor::zeros(state, x.dtype());
  }
  cache.x = x.reshape({dims.n, dims.t, dims.d});
  cache.wx = wx;
  cache.wh = wh;
  cache.prev_h = Tensor::empty(states, x.dtype());
  cache.gates = Tensor::empty({dims.n, dims.t, kGates * dims.h}, x.dtype());
  cache.c = Tensor::empty(states, x.dtype());
  cache.tanh_c = Tensor::empty(states, x.dtype());
  Tensor h = Tensor::empty(states, x.dtype());
  dispatch(x.dtype(), [&](auto zero) { forward_steps<decltype(zero)>(h0, b, dims, h, cache); });
  return {std::move(h), std::move(cache)};
}

// The gradient of one step's pre-activations for rows [first, last), from
// the gradient reaching its hidden state (dh_t + dnext_h) and its cell state
// (dnext_c, which becomes the gradient of the previous cell state):
//   dc = dnext_c + dh * o * (1 - tanh(c)^2),   dprev_c = dc * f
//   da_i = dc g i(1-i), da_f = dc prev_c f(1-f), da_o = dh tanh(c) o(1-o), da_g = dc i (1-g^2)
template <class T>
void cell_backward(std::int64_t first, std::int64_t last, std::int64_t hidden,
                   std::int64_t row_stride, const T* dh, const T* dnext_h, T* dnext_c,
                   const T* gates, const T* c_prev, std::int64_t c_prev_stride, const T* tanh_c,
                   T* da) {
  for (std::int64_t row = first; row < last; ++row) {
    const std::int64_t at = row * row_stride, gate_at = kGates * at, state_at = row * hidden;
    const T* i = gates + gate_at;
    const T* f = i + hidden;
    const T* o = f + hidden;
    const T* g = o + hidden;
    const T* cp = c_prev + row * c_prev_stride;
    T* da_i = da + gate_at;
    T* da_f = da_i + hidden;
    T* da_o = da_f + hidden;
    T* da_g = da_o + hidden;
#pragma omp simd
    for (std::int64_t j = 0; j < hidden; ++j) {
      const T dh_total = (dh != nullptr ? dh[at + j] : T(0)) + dnext_h[state_at + j];
      const T tc = tanh_c[at + j];
      const T dc = dnext_c[state_at + j] + dh_total * o[j] * (1 - tc * tc);
      da_i[j] = dc * g[j] * i[j] * (1 - i[j]);
      da_f[j] = dc * cp[j] * f[j] * (1 - f[j]);
      da_o[j] = dh_total * tc * o[j] * (1 - o[j]);
      da_g[j] = dc * i[j] * (1 - g[j] * g[j]);
      dnext_c[state_at + j] = dc * f[j];
    }
  }
}

template <class T>
LstmGrads backward_steps(const Tensor& dh, const Tensor& dc_last, const LstmCache& cache,
                         const RecurrentDims& dims, bool need_dx) {
  const std::int64_t n = dims.n, steps = dims.t, hidden = dims.h;
  const DType dtype = cache.x.dtype();
  Tensor da = Tensor::empty({n, steps, kGates * hidden}, dtype);
  Tensor dnext_h = Tensor::zeros({n, hidden}, dtype);
  Tensor dnext_c = dc_last.defined() ? dc_last.clone() : Tensor::zeros({n, hidden}, dtype);
  const auto wh = as_matrix<T>(cache.wh);
  const std::int64_t stride = steps * hidden;
  const std::int64_t work = steps * hidden * kGates * hidden;
  for_each_batch_block(n, work, [&](std::int64_t first, std::int64_t last) {
    const std::int64_t rows = last - first;
    auto dnext_h_rows = as_matrix<T>(dnext_h).middleRows(first, rows);
    for (std::int64_t t = steps - 1; t >= 0; --t) {
      const std::int64_t at = t * hidden;
      const T* c_prev = t == 0 ? cache.c0.data<T>() : cache.c.data<T>() + (t - 1) * hidden;
      const std::int64_t c_prev_stride = t == 0 ? hidden : stride;
      cell_backward(first, last, hidden, stride, dh.defined() ? dh.data<T>() + at : nullptr,
                    std::as_const(dnext_h).data<T>(), dnext_c.data<T>(),
                    cache.gates.data<T>() + kGates * at, c_prev, c_prev_stride,
                    cache.tanh_c.data<T>() + at, da.data<T>() + kGates * at);
      const auto da_step = step_rows<T>(std::as_const(da), t);
      multiply(dnext_h_rows, da_step.middleRows(first, rows), wh.transpose());
    }
  });
  LstmGrads grads;
  grads.dh = std::move(dnext_h);
  grads.dc = std::move(dnext_c);
  ProductGrads products =
      product_grads<T>(dims, cache.x, cache.prev_h, cache.wx, cache.wh, da, da, need_dx);
  move_product_grads(products, grads);
  grads.db = std::move(products.db);
  return grads;
}

LstmGrads run_backward(OpName op, bool sequence, const Tensor& dh, const Tensor& dc,
                       const LstmCache& cache, bool need_dx) {
  const RecurrentDims dims = cache_dims(op, "lstm_forward", sequence, cache.x, cache.wh);
  if (sequence || dh.defined()) {
    check_recurrent_dout(op, sequence ? "dh" : "dnext_h", sequence, dh, dims, cache.x);
  }
  if (dc.defined()) check_recurrent_dout(op, "dnext_c", false, dc, dims, cache.x);
  const Tensor dh_steps = dh.defined() ? dh.reshape({dims.n, dims.t, dims.h}) : Tensor();
  LstmGrads grads = dispatch(cache.x.dtype(), [&](auto zero) {
    return backward_steps<decltype(zero)>(dh_steps, dc, cache, dims, need_dx);
  });
  if (sequence) grads.dc = Tensor();
  if (!sequence && grads.dx.defined()) grads.dx = grads.dx.reshape({dims.n, dims.d});
  return grads;
}

}  // namespace

LstmStepForward lstm_step_forward(const Tensor& x, const Tensor& prev_h, const Tensor& prev_c,
                                  const Tensor& wx, const Tensor& wh, const Tensor& b) {
  if (!prev_c.defined()) fail(kStepOp, "prev_c is undefined (an empty Tensor handle)");
  LstmForward result = run_forward(kStepOp, false, x, prev_h, prev_c, wx, wh, b);
  const Shape state{result.h.dim(0), result.h.dim(2)};
  Tensor next_c = result.cache.c.reshape(state);
  return {result.h.reshape(state), std::move(next_c), std::move(result.cache)};
}

LstmGrads lstm_step_backward(const Tensor& dnext_h, const Tensor& dnext_c, const LstmCache& cache,
                             bool need_dx) {
  return run_backward("lstm_step backward", false, dnext_h, dnext_c, cache, need_dx);
}

LstmForward lstm_forward(const Tensor& x, const Tensor& h0, const Tensor& wx, const Tensor& wh,
                         const Tensor& b) {
  return run_forward(kOp, true, x, h0, Tensor(), wx, wh, b);
}

LstmGrads lstm_backward(const Tensor& dh, const LstmCache& cache, bool need_dx) {
  return run_backward("lstm backward", true, dh, Tensor(), cache, need_dx);
}

std::vector<Var> lstm_step(const Var& x, const Var& prev_h, const Var& prev_c, const Var& wx,
                           const Var& wh, const Var& b) {
  Op op(kStepOp, {x, prev_h, prev_c, wx, wh, b});
  LstmStepForward result = lstm_step_forward(op.input(0), op.input(1), op.input(2), op.input(3),
                                             op.input(4), op.input(5));
  return op.finish({std::move(result.next_h), std::move(result.next_c)},
                   [cache = std::move(result.cache)](const OutputGrads& douts, InputGrads& grads) {
                     LstmGrads g =
                         run_backward(kStepOp, false, douts[0], douts[1], cache, grads.wants(0));
                     grads.add(0, std::move(g.dx));
                     grads.add(1, std::move(g.dh));
                     grads.add(2, std::move(g.dc));
                     grads.add(3, std::move(g.dwx));
                     grads.add(4, std::move(g.dwh));
                     grads.add(5, std::move(g.db));
                   });
}

Var lstm(const Var& x, const Var& h0, const Var& wx, const Var& wh, const Var& b) {
  Op op(kOp, {x, h0, wx, wh, b});
  LstmForward result =
      lstm_forward(op.input(0), op.input(1), op.input(2), op.input(3), op.input(4));
  return op.finish(std::move(result.h),
                   [cache = std::move(result.cache)](const Tensor& dh, InputGrads& grads) {
                     LstmGrads g = run_backward(kOp, true, dh, Tensor(), cache, grads.wants(0));
                     grads.add(0, std::move(g.dx));
                     grads.add(1, std::move(g.dh));
                     grads.add(2, std::move(g.dwx));
                     grads.add(3, std::move(g.dwh));
                     grads.add(4, std::move(g.db));
                   });
}

}  // namespace tg
