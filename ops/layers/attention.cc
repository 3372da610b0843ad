#include "ops/layers/attention.h"

#include <cmath>
#include <limits>

#include "graph/checks.h"
#include "graph/eigen.h"
#include "graph/op.h"
#include "graph/parallel.h"
#include "ops/kernels/matrix_product.h"

namespace tg {
namespace {

constexpr char kOp[] = "scaled_dot_product_attention";

struct Dims {
  std::int64_t b, t, s, d, e;
};

Dims check_inputs(const Tensor& q, const Tensor& k, const Tensor& v,
                  const AttentionParams& params) {
  check_rank(kOp, "q (B, T, D)", q, 3);
  check_rank(kOp, "k (B, S, D)", k, 3);
  check_rank(kOp, "v (B, S, E)", v, 3);
  check_same_dtype(kOp, "q", q, "k", k);
  check_same_dtype(kOp, "q", q, "v", v);
  const Dims d{q.dim(0), q.dim(1), k.dim(1), q.dim(2), v.dim(2)};
  if (k.dim(0) != d.b || v.dim(0) != d.b || k.dim(2) != d.d || v.dim(1) != d.s) {
    fail(kOp, "expects q (B, T, D), k (B, S, D), v (B, S, E); got q {}, k {}, v {}", shape_str(q),
         shape_str(k), shape_str(v));
  }
  if (d.b < 1 || d.t < 1 || d.s < 1 || d.d < 1 || d.e < 1) {
    fail(kOp, "every size must be positive; got q {}, k {}, v {}", shape_str(q), shape_str(k),
         shape_str(v));
  }
  if (!params.mask.empty() && static_cast<std::int64_t>(params.mask.size()) != d.t * d.s) {
    fail(kOp, "the mask must hold T * S = {} * {} = {} positions, got {}", d.t, d.s, d.t * d.s,
         params.mask.size());
  }
  if (!(params.keep_prob > 0 && params.keep_prob <= 1)) {
    fail(kOp, "keep_prob must be in (0, 1], got {}", params.keep_prob);
  }
  return d;
}

// Whether position i may attend to j.
bool allowed(const AttentionParams& params, const Dims& d, std::int64_t i, std::int64_t j) {
  if (params.causal && j > i) return false;
  return params.mask.empty() || params.mask[static_cast<std::size_t>(i * d.s + j)];
}

template <class T>
AttentionForward forward(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionParams& params, Rng& rng, const Dims& d) {
  // A row with nothing to attend to is the same in every batch entry.
  for (std::int64_t i = 0; i < d.t; ++i) {
    bool any = false;
    for (std::int64_t j = 0; j < d.s && !any; ++j) any = allowed(params, d, i, j);
    if (!any) fail(kOp, "query position {} may attend to no key position: every one is masked", i);
  }
  AttentionForward result;
  AttentionCache& c = result.cache;
  c.q = q;
  c.k = k;
  c.v = v;
  c.weights = Tensor::empty({d.b, d.t, d.s}, q.dtype());
  if (params.keep_prob < 1) {  // drawn in order, before the threads start
    c.drop = Tensor::empty({d.b, d.t, d.s}, q.dtype());
    T* drop = c.drop.data<T>();
    const T kept = static_cast<T>(1.0 / params.keep_prob);
    for (std::int64_t p = 0; p < c.drop.numel(); ++p) {
      drop[p] = rng.uniform() < params.keep_prob ? kept : T(0);
    }
  }
  result.out = Tensor::empty({d.b, d.t, d.e}, q.dtype());
  const T scale = static_cast<T>(1.0 / std::sqrt(static_cast<double>(d.d)));
  parallel_for(d.b, grain_for(d.t * d.s * (d.d + d.e)), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t b = first; b < last; ++b) {
      MatrixView<T> w(c.weights.data<T>() + b * d.t * d.s, d.t, d.s);
      multiply(w, ConstMatrixView<T>(q.data<T>() + b * d.t * d.d, d.t, d.d),
               ConstMatrixView<T>(k.data<T>() + b * d.s * d.d, d.s, d.d).transpose());
      for (std::int64_t i = 0; i < d.t; ++i) {
        T max = -std::numeric_limits<T>::infinity();
        for (std::int64_t j = 0; j < d.s; ++j) {
          w(i, j) =
              allowed(params, d, i, j) ? w(i, j) * scale : -std::numeric_limits<T>::infinity();
          max = std::max(max, w(i, j));
        }
        T total = 0;
        for (std::int64_t j = 0; j < d.s; ++j) total += w(i, j) = std::exp(w(i, j) - max);
        for (std::int64_t j = 0; j < d.s; ++j) w(i, j) /= total;
      }
      MatrixView<T> out(result.out.data<T>() + b * d.t * d.e, d.t, d.e);
      const ConstMatrixView<T> vb(v.data<T>() + b * d.s * d.e, d.s, d.e);
      if (c.drop.defined()) {
        const ConstMatrixView<T> drop(c.drop.data<T>() + b * d.t * d.s, d.t, d.s);
        const auto dropped = (w.array() * drop.array()).matrix().eval();
        multiply(out, dropped, vb);
      } else {
        multiply(out, w, vb);
      }
    }
  });
  return result;
}

template <class T>
AttentionGrads backward(const Tensor& dout, const AttentionCache& c, const Dims& d) {
  AttentionGrads g;
  g.dq = Tensor::empty(c.q.shape(), dout.dtype());
  g.dk = Tensor::empty(c.k.shape(), dout.dtype());
  g.dv = Tensor::empty(c.v.shape(), dout.dtype());
  const T scale = static_cast<T>(1.0 / std::sqrt(static_cast<double>(d.d)));
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  parallel_for(d.b, grain_for(d.t * d.s * (d.d + d.e)), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t b = first; b < last; ++b) {
      const ConstMatrixView<T> w(c.weights.data<T>() + b * d.t * d.s, d.t, d.s);
      const ConstMatrixView<T> go(dout.data<T>() + b * d.t * d.e, d.t, d.e);
      const ConstMatrixView<T> vb(c.v.data<T>() + b * d.s * d.e, d.s, d.e);
      Matrix dropped = w;  // the weights out was made from
      if (c.drop.defined()) {
        dropped.array() *= ConstMatrixView<T>(c.drop.data<T>() + b * d.t * d.s, d.t, d.s).array();
      }
      multiply(MatrixView<T>(g.dv.data<T>() + b * d.s * d.e, d.s, d.e), dropped.transpose(), go);
      Matrix dw(d.t, d.s);
      multiply(dw, go, vb.transpose());
      if (c.drop.defined()) {
        dw.array() *= ConstMatrixView<T>(c.drop.data<T>() + b * d.t * d.s, d.t, d.s).array();
      }
      // The softmax's backward from its output, then the 1 / sqrt(D).
      for (std::int64_t i = 0; i < d.t; ++i) {
        T dot = 0;
        for (std::int64_t j = 0; j < d.s; ++j) dot += dw(i, j) * w(i, j);
        for (std::int64_t j = 0; j < d.s; ++j) dw(i, j) = w(i, j) * (dw(i, j) - dot) * scale;
      }
      multiply(MatrixView<T>(g.dq.data<T>() + b * d.t * d.d, d.t, d.d), dw,
               ConstMatrixView<T>(c.k.data<T>() + b * d.s * d.d, d.s, d.d));
      multiply(MatrixView<T>(g.dk.data<T>() + b * d.s * d.d, d.s, d.d), dw.transpose(),
               ConstMatrixView<T>(c.q.data<T>() + b * d.t * d.d, d.t, d.d));
    }
  });
  return g;
}

}  // namespace

AttentionForward scaled_dot_product_attention_forward(const Tensor& q, const Tensor& k,
                                                      const Tensor& v,
                                                      const AttentionParams& params, Rng& rng) {
  const Dims d = check_inputs(q, k, v, params);
  return dispatch(q.dtype(),
                  [&](auto zero) { return forward<decltype(zero)>(q, k, v, params, rng, d); });
}

AttentionGrads scaled_dot_product_attention_backward(const Tensor& dout,
                                                     const AttentionCache& cache) {
  const Dims d{cache.q.dim(0), cache.q.dim(1), cache.k.dim(1), cache.q.dim(2), cache.v.dim(2)};
  check_shape("scaled_dot_product_attention backward", "dout", dout, {d.b, d.t, d.e});
  check_same_dtype("scaled_dot_product_attention backward", "dout", dout, "q", cache.q);
  return dispatch(dout.dtype(),
                  [&](auto zero) { return backward<decltype(zero)>(dout, cache, d); });
}

Var scaled_dot_product_attention(const Var& q, const Var& k, const Var& v,
                                 const AttentionParams& params, Rng& rng) {
  Op op(kOp, {q, k, v});
  auto [out, cache] =
      scaled_dot_product_attention_forward(op.input(0), op.input(1), op.input(2), params, rng);
  return op.finish(std::move(out),
                   [cache = std::move(cache)](const Tensor& dout, InputGrads& grads) {
                     AttentionGrads g = scaled_dot_product_attention_backward(dout, cache);
                     grads.add(0, std::move(g.dq));
                     grads.add(1, std::move(g.dk));
                     grads.add(2, std::move(g.dv));
                   });
}

}  // namespace tg
