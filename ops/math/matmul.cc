#include "ops/math/matmul.h"

#include "graph/checks.h"
#include "graph/eigen.h"
#include "graph/op.h"
#include "graph/parallel.h"
#include "ops/kernels/matrix_product.h"

namespace tg {
namespace {

constexpr char kOp[] = "matmul";

// The product as `batch` products of (m,k) @ (k,n); b_step 0 when b is shared.
struct Dims {
  std::int64_t batch, m, k, n;
  std::int64_t b_step;
};

Dims check_inputs(const Tensor& a, const Tensor& b) {
  check_min_rank(kOp, "a", a, 2);
  check_min_rank(kOp, "b", b, 2);
  check_same_dtype(kOp, "a", a, "b", b);
  if (a.rank() > 3 || b.rank() > 3 || (a.rank() == 2 && b.rank() == 3)) {
    fail(kOp,
         "expects a (M,K) @ b (K,N), a (B,M,K) @ b (B,K,N) or a (B,M,K) @ b (K,N), got a {} "
         "and b {}",
         shape_str(a), shape_str(b));
  }
  const std::int64_t k = a.dim(-1);
  if (b.dim(-2) != k) {
    fail(kOp, "a {} has {} columns but b {} has {} rows", shape_str(a), k, shape_str(b), b.dim(-2));
  }
  const bool batched_b = b.rank() == 3;
  if (batched_b && b.dim(0) != a.dim(0)) {
    fail(kOp, "b must have {} batch entries like a {}, got {}", a.dim(0), shape_str(a),
         shape_str(b));
  }
  const std::int64_t batch = a.rank() == 3 ? a.dim(0) : 1;
  return {batch, a.dim(-2), k, b.dim(-1), batched_b ? k * b.dim(-1) : 0};
}

Shape out_shape(const Tensor& a, const Dims& d) {
  return a.rank() == 3 ? Shape{d.batch, d.m, d.n} : Shape{d.m, d.n};
}

// Calls product(i) for every batch entry, in parallel when each is small.
template <class F>
void for_each_entry(const Dims& d, F product) {
  parallel_for(d.batch, grain_for(d.m * d.k * d.n), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t i = first; i < last; ++i) product(i);
  });
}

template <class T>
Tensor forward(const Tensor& a, const Tensor& b, const Dims& d) {
  Tensor out = Tensor::empty(out_shape(a, d), a.dtype());
  if (d.b_step == 0) {
    // Shared b: one product of the stacked rows of a.
    multiply_in_blocks(MatrixView<T>(out.data<T>(), d.batch * d.m, d.n),
                       ConstMatrixView<T>(a.data<T>(), d.batch * d.m, d.k),
                       ConstMatrixView<T>(b.data<T>(), d.k, d.n));
    return out;
  }
  for_each_entry(d, [&](std::int64_t i) {
    multiply(MatrixView<T>(out.data<T>() + i * d.m * d.n, d.m, d.n),
             ConstMatrixView<T>(a.data<T>() + i * d.m * d.k, d.m, d.k),
             ConstMatrixView<T>(b.data<T>() + i * d.b_step, d.k, d.n));
  });
  return out;
}

template <class T>
MatmulGrads backward(const Tensor& dout, const MatmulCache& cache, const Dims& d, bool need_da,
                     bool need_db) {
  const T* a = cache.a.data<T>();
  const T* b = cache.b.data<T>();
  const T* g = dout.data<T>();
  MatmulGrads grads;
  if (need_da) {
    grads.da = Tensor::empty(cache.a.shape(), dout.dtype());
    T* da = grads.da.data<T>();
    if (d.b_step == 0) {
      multiply_in_blocks(MatrixView<T>(da, d.batch * d.m, d.k),
                         ConstMatrixView<T>(g, d.batch * d.m, d.n),
                         ConstMatrixView<T>(b, d.k, d.n).transpose());
    } else {
      for_each_entry(d, [&](std::int64_t i) {
        multiply(MatrixView<T>(da + i * d.m * d.k, d.m, d.k),
                 ConstMatrixView<T>(g + i * d.m * d.n, d.m, d.n),
                 ConstMatrixView<T>(b + i * d.b_step, d.k, d.n).transpose());
      });
    }
  }
  if (!need_db) return grads;
  grads.db = Tensor::empty(cache.b.shape(), dout.dtype());
  T* db = grads.db.data<T>();
  if (d.b_step == 0) {
    // Shared b: db = sum_i a_i^T dout_i, one product of the stacked rows.
    multiply_in_blocks(MatrixView<T>(db, d.k, d.n),
                       ConstMatrixView<T>(a, d.batch * d.m, d.k).transpose(),
                       ConstMatrixView<T>(g, d.batch * d.m, d.n));
  } else {
    for_each_entry(d, [&](std::int64_t i) {
      multiply(MatrixView<T>(db + i * d.b_step, d.k, d.n),
               ConstMatrixView<T>(a + i * d.m * d.k, d.m, d.k).transpose(),
               ConstMatrixView<T>(g + i * d.m * d.n, d.m, d.n));
    });
  }
  return grads;
}

}  // namespace

MatmulForward matmul_forward(const Tensor& a, const Tensor& b) {
  const Dims d = check_inputs(a, b);
  Tensor out = dispatch(a.dtype(), [&](auto zero) { return forward<decltype(zero)>(a, b, d); });
  return {std::move(out), {a, b}};
}

MatmulGrads matmul_backward(const Tensor& dout, const MatmulCache& cache, bool need_da,
                            bool need_db) {
  const Dims d = check_inputs(cache.a, cache.b);
  check_shape("matmul backward", "dout", dout, out_shape(cache.a, d));
  check_same_dtype("matmul backward", "dout", dout, "a", cache.a);
  return dispatch(dout.dtype(), [&](auto zero) {
    return backward<decltype(zero)>(dout, cache, d, need_da, need_db);
  });
}

Var matmul(const Var& a, const Var& b) {
  Op op(kOp, {a, b});
  auto [out, cache] = matmul_forward(op.input(0), op.input(1));
  return op.finish(std::move(out),
                   [cache = std::move(cache)](const Tensor& dout, InputGrads& grads) {
                     MatmulGrads g = matmul_backward(dout, cache, grads.wants(0), grads.wants(1));
                     grads.add(0, std::move(g.da));
                     grads.add(1, std::move(g.db));
                   });
}

}  // namespace tg
