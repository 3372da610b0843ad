// Matrix product (Eigen GEMM):
//   a (M,K)   @ b (K,N)   -> (M,N)
//   a (B,M,K) @ b (B,K,N) -> (B,M,N)   batched, one product per batch entry
//   a (B,M,K) @ b (K,N)   -> (B,M,N)   b shared by the batch
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

struct MatmulCache {
  Tensor a;
  Tensor b;
};

struct MatmulForward {
  Tensor out;
  MatmulCache cache;
};

struct MatmulGrads {
  Tensor da;  // dout @ b^T
  Tensor db;  // a^T @ dout (summed over the batch when b is shared)
};

MatmulForward matmul_forward(const Tensor& a, const Tensor& b);
// Computes only the gradients asked for (the others stay undefined).
MatmulGrads matmul_backward(const Tensor& dout, const MatmulCache& cache, bool need_da = true,
                            bool need_db = true);

// Tape op.
Var matmul(const Var& a, const Var& b);

}  // namespace tg
