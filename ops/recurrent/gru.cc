#include "ops/recurrent/gru.h"

#include <utility>

#include "graph/checks.h"
#include "graph/op.h"
#include "ops/recurrent/recurrent_kernels.h"

namespace tg {
namespace {

constexpr char kStepOp[] = "gru_step";
constexpr char kOp[] = "gru";
constexpr int kGates = 3;  // r, z, n

// One step for rows [first, last). gx: the step's x Wx + bx (N, 3H), rows
// `kGates * row_stride` apart, overwritten with r, z, n; hh: prev_h Wh + bh
// (N, 3H), contiguous; prev, h_n, h: rows `row_stride` apart.
template <class T>
void cell_forward(std::int64_t first, std::int64_t last, std::int64_t hidden,
                  std::int64_t row_stride, T* gx, const T* hh, const T* prev, T* h_n, T* h) {
  for (std::int64_t row = first; row < last; ++row) {
    T* r = gx + row * kGates * row_stride;
    T* z = r + hidden;
    T* n = z + hidden;
    const T* hh_row = hh + row * kGates * hidden;
    const T* hp = prev + row * row_stride;
    T* hn = h_n + row * row_stride;
    T* h_row = h + row * row_stride;
#pragma omp simd
    for (std::int64_t j = 0; j < 2 * hidden; ++j) r[j] += hh_row[j];
    sigmoid_in_place(r, 2 * hidden);
#pragma omp simd
    for (std::int64_t j = 0; j < hidden; ++j) {
      hn[j] = hh_row[2 * hidden + j];
      n[j] += r[j] * hn[j];
    }
    tanh_in_place(n, hidden);
#pragma omp simd
    for (std::int64_t j = 0; j < hidden; ++j) h_row[j] = (1 - z[j]) * n[j] + z[j] * hp[j];
  }
}

template <class T>
void forward_steps(const Tensor& h0, const Tensor& bx, const Tensor& bh, const RecurrentDims& dims,
                   Tensor& h, GruCache& cache) {
  const std::int64_t n = dims.n, steps = dims.t, d = dims.d, hidden = dims.h;
  auto all_gates = as_matrix<T>(cache.gates, n * steps, kGates * hidden);
  multiply_in_blocks(all_gates, as_matrix<T>(cache.x, n * steps, d), as_matrix<T>(cache.wx));
  all_gates.rowwise() += as_row<T>(bx);
  Tensor hh = Tensor::empty({n, kGates * hidden}, h.dtype());  // one step's prev_h Wh + bh
  const auto wh = as_matrix<T>(cache.wh);
  const std::int64_t stride = steps * hidden;
  const std::int64_t work = steps * hidden * kGates * hidden;
  for_each_batch_block(n, work, [&](std::int64_t first, std::int64_t last) {
    const std::int64_t rows = last - first;
    auto hh_rows = as_matrix<T>(hh).middleRows(first, rows);
    for (std::int64_t t = 0; t < steps; ++t) {
      save_previous_hidden<T>(cache.prev_h, h0, h, t, first, last);
      const auto prev_all = step_rows<T>(std::as_const(cache.prev_h), t);
      const auto prev = prev_all.middleRows(first, rows);
      multiply(hh_rows, prev, wh);
      hh_rows.rowwise() += as_row<T>(bh);
      const std::int64_t at = t * hidden;
      cell_forward(first, last, hidden, stride, cache.gates.data<T>() + kGates * at,
                   std::as_const(hh).data<T>(), std::as_const(cache.prev_h).data<T>() + at,
                   cache.h_n.data<T>() + at, h.data<T>() + at);
    }
  });
}

GruForward run_forward(OpName op, bool sequence, const Tensor& x, const Tensor& h0,
                       const Tensor& wx, const Tensor& wh, const Tensor& bx, const Tensor& bh) {
  const RecurrentDims dims =
      check_recurrent_inputs(op, sequence, x, sequence ? "h0" : "prev_h", h0, wx, wh, kGates);
  check_recurrent_bias(op, "bx", bx, kGates * dims.h, x);
  check_recurrent_bias(op, "bh", bh, kGates * dims.h, x);
  const Shape states{dims.n, dims.t, dims.h};
  GruCache cache;
  cache.x = x.reshape({dims.n, dims.t, dims.d});
  cache.wx = wx;
  cache.wh = wh;
  cache.prev_h = Tensor::empty(states, x.dtype());
  cache.gates = Tensor::empty({dims.n, dims.t, kGates * dims.h}, x.dtype());
  cache.h_n = Tensor::empty(states, x.dtype());
  Tensor h = Tensor::empty(states, x.dtype());
  dispatch(x.dtype(),
           [&](auto zero) { forward_steps<decltype(zero)>(h0, bx, bh, dims, h, cache); });
  return {std::move(h), std::move(cache)};
}

// The gradients of one step's x Wx + bx (dgx) and prev_h Wh + bh (dgh) for
// rows [first, last), from dh_total = dh_t + dnext (the gradient reaching the
// step's output); dnext becomes the direct part dh_total * z of dprev_h:
//   dn = dh (1 - z), dz = dh (prev_h - n), da_n = dn (1 - n^2)
//   da_r = da_n h_n r (1 - r), da_z = dz z (1 - z)
//   dgx = (da_r, da_z, da_n), dgh = (da_r, da_z, da_n r)
template <class T>
void cell_backward(std::int64_t first, std::int64_t last, std::int64_t hidden,
                   std::int64_t row_stride, const T* dh, T* dnext, const T* gates, const T* prev,
                   const T* h_n, T* dgx, T* dgh) {
  for (std::int64_t row = first; row < last; ++row) {
    const std::int64_t at = row * row_stride, gate_at = kGates * at, state_at = row * hidden;
    const T* r = gates + gate_at;
    const T* z = r + hidden;
    const T* n = z + hidden;
    T* dx_r = dgx + gate_at;
    T* dh_r = dgh + gate_at;
#pragma omp simd
    for (std::int64_t j = 0; j < hidden; ++j) {
      const T dh_total = dh[at + j] + dnext[state_at + j];
      const T da_n = dh_total * (1 - z[j]) * (1 - n[j] * n[j]);
      const T da_z = dh_total * (prev[at + j] - n[j]) * z[j] * (1 - z[j]);
      const T da_r = da_n * h_n[at + j] * r[j] * (1 - r[j]);
      dx_r[j] = da_r;
      dx_r[hidden + j] = da_z;
      dx_r[2 * hidden + j] = da_n;
      dh_r[j] = da_r;
      dh_r[hidden + j] = da_z;
      dh_r[2 * hidden + j] = da_n * r[j];
      dnext[state_at + j] = dh_total * z[j];
    }
  }
}

template <class T>
GruGrads backward_steps(const Tensor& dh, const GruCache& cache, const RecurrentDims& dims,
                        bool need_dx) {
  const std::int64_t n = dims.n, steps = dims.t, hidden = dims.h;
  const DType dtype = dh.dtype();
  const Shape gates_shape{n, steps, kGates * hidden};
  Tensor dgx = Tensor::empty(gates_shape, dtype);
  Tensor dgh = Tensor::empty(gates_shape, dtype);
  Tensor dnext = Tensor::zeros({n, hidden}, dtype);
  const auto wh = as_matrix<T>(cache.wh);
  const std::int64_t stride = steps * hidden;
  const std::int64_t work = steps * hidden * kGates * hidden;
  for_each_batch_block(n, work, [&](std::int64_t first, std::int64_t last) {
    const std::int64_t rows = last - first;
    auto dnext_rows = as_matrix<T>(dnext).middleRows(first, rows);
    for (std::int64_t t = steps - 1; t >= 0; --t) {
      const std::int64_t at = t * hidden;
      cell_backward(first, last, hidden, stride, dh.data<T>() + at, dnext.data<T>(),
                    cache.gates.data<T>() + kGates * at, cache.prev_h.data<T>() + at,
                    cache.h_n.data<T>() + at, dgx.data<T>() + kGates * at,
                    dgh.data<T>() + kGates * at);
      const auto dgh_step = step_rows<T>(std::as_const(dgh), t);
      multiply(dnext_rows, dgh_step.middleRows(first, rows), wh.transpose(),
               /*accumulate=*/true);
    }
  });
  GruGrads grads;
  grads.dh = std::move(dnext);
  ProductGrads products =
      product_grads<T>(dims, cache.x, cache.prev_h, cache.wx, cache.wh, dgx, dgh, need_dx);
  move_product_grads(products, grads);
  grads.dbx = std::move(products.db);
  grads.dbh = Tensor::empty({kGates * hidden}, dtype);
  as_row<T>(grads.dbh) =
      as_matrix<T>(std::as_const(dgh), n * steps, kGates * hidden).colwise().sum();
  return grads;
}

GruGrads run_backward(OpName op, bool sequence, const Tensor& dh, const GruCache& cache,
                      bool need_dx) {
  const RecurrentDims dims = cache_dims(op, "gru_forward", sequence, cache.x, cache.wh);
  check_recurrent_dout(op, sequence ? "dh" : "dnext_h", sequence, dh, dims, cache.x);
  GruGrads grads = dispatch(dh.dtype(), [&](auto zero) {
    return backward_steps<decltype(zero)>(dh.reshape({dims.n, dims.t, dims.h}), cache, dims,
                                          need_dx);
  });
  if (!sequence && grads.dx.defined()) grads.dx = grads.dx.reshape({dims.n, dims.d});
  return grads;
}

Var record(OpName name, bool sequence, const Var& x, const Var& h0, const Var& wx, const Var& wh,
           const Var& bx, const Var& bh) {
  Op op(name, {x, h0, wx, wh, bx, bh});
  GruForward result = run_forward(name, sequence, op.input(0), op.input(1), op.input(2),
                                  op.input(3), op.input(4), op.input(5));
  Tensor out = sequence ? result.h : result.h.reshape({result.h.dim(0), result.h.dim(2)});
  return op.finish(std::move(out), [name, sequence, cache = std::move(result.cache)](
                                       const Tensor& dout, InputGrads& grads) {
    GruGrads g = run_backward(name, sequence, dout, cache, grads.wants(0));
    grads.add(0, std::move(g.dx));
    grads.add(1, std::move(g.dh));
    grads.add(2, std::move(g.dwx));
    grads.add(3, std::move(g.dwh));
    grads.add(4, std::move(g.dbx));
    grads.add(5, std::move(g.dbh));
  });
}

}  // namespace

GruStepForward gru_step_forward(const Tensor& x, const Tensor& prev_h, const Tensor& wx,
                                const Tensor& wh, const Tensor& bx, const Tensor& bh) {
  GruForward result = run_forward(kStepOp, false, x, prev_h, wx, wh, bx, bh);
  return {result.h.reshape({result.h.dim(0), result.h.dim(2)}), std::move(result.cache)};
}

GruGrads gru_step_backward(const Tensor& dnext_h, const GruCache& cache, bool need_dx) {
  return run_backward("gru_step backward", false, dnext_h, cache, need_dx);
}

GruForward gru_forward(const Tensor& x, const Tensor& h0, const Tensor& wx, const Tensor& wh,
                       const Tensor& bx, const Tensor& bh) {
  return run_forward(kOp, true, x, h0, wx, wh, bx, bh);
}

GruGrads gru_backward(const Tensor& dh, const GruCache& cache, bool need_dx) {
  return run_backward("gru backward", true, dh, cache, need_dx);
}

Var gru_step(const Var& x, const Var& prev_h, const Var& wx, const Var& wh, const Var& bx,
             const Var& bh) {
  return record(kStepOp, false, x, prev_h, wx, wh, bx, bh);
}

Var gru(const Var& x, const Var& h0, const Var& wx, const Var& wh, const Var& bx, const Var& bh) {
  return record(kOp, true, x, h0, wx, wh, bx, bh);
}

}  // namespace tg
