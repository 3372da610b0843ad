// Scaled dot-product attention (Vaswani et al. 2017; the course's
// Transformer_Captioning notebook), one op with a hand-written backward:
//   q (B, T, D), k (B, S, D), v (B, S, E) -> out (B, T, E)
//   scores = q k^T / sqrt(D)                    (B, T, S)
//   scores[b, i, j] = -inf where i may not attend to j (mask, causal)
//   weights = softmax(scores) over j            (each row sums to 1)
//   out = dropout(weights) v
// Heads are batch entries: multi-head attention folds (N, heads) into B.
// The cache keeps q, k, v, the weights and the dropout mask, nothing of the
// scores: the softmax's backward needs only its output,
//   dscores = weights * (dweights - rowsum(dweights * weights)) / sqrt(D).
#pragma once

#include <cstdint>
#include <vector>

#include "graph/rng.h"
#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

struct AttentionParams {
  // (T, S) row-major, shared by every batch entry: mask[i * S + j] true when
  // position i may attend to j (the course's attn_mask[i, j] != 0). Empty:
  // every position may.
  std::vector<bool> mask;
  // Position i may attend to positions j <= i only (a decoder's
  // self-attention); combines with mask.
  bool causal = false;
  // Dropout on the weights: each kept with this probability, scaled by
  // 1 / keep_prob (inverted dropout); 1: none.
  double keep_prob = 1.0;
};

struct AttentionCache {
  Tensor q, k, v;
  Tensor weights;  // (B, T, S): the softmax, before dropout
  Tensor drop;     // (B, T, S): 0 or 1 / keep_prob; undefined without dropout
};

struct AttentionForward {
  Tensor out;  // (B, T, E)
  AttentionCache cache;
};

struct AttentionGrads {
  Tensor dq, dk, dv;
};

// Throws ArgumentError naming the op for ranks, sizes or dtypes that do not
// fit, a mask of another size, keep_prob outside (0, 1], and a row with
// every position masked (its softmax is undefined: an error, not NaN).
// `rng` draws the dropout mask (unused when keep_prob is 1).
AttentionForward scaled_dot_product_attention_forward(const Tensor& q, const Tensor& k,
                                                      const Tensor& v,
                                                      const AttentionParams& params, Rng& rng);
AttentionGrads scaled_dot_product_attention_backward(const Tensor& dout,
                                                     const AttentionCache& cache);

// Tape op.
Var scaled_dot_product_attention(const Var& q, const Var& k, const Var& v,
                                 const AttentionParams& params, Rng& rng);

}  // namespace tg
