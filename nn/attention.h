// The course's transformer layers (the 2021+ hand-out's transformer_layers.py):
//   MultiHeadAttention(embed_dim, num_heads): query, key, value and proj, four
//     Linear(embed_dim, embed_dim) on the last axis; the heads split the
//     embedding (head_dim = embed_dim / num_heads); each head's scores are
//     scaled by 1 / sqrt(head_dim); mask[i * S + j] false means position i
//     may not attend to j (the hand-out's attn_mask[i, j] == 0); dropout on
//     the attention weights (ops/layers/attention.h).
//   PositionalEncoding(embed_dim, max_len): x (N, T, D) + pe[:T], pe[t, 2i] =
//     sin(t / 10000^(2i / D)), pe[t, 2i + 1] = cos(the same), then dropout.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "graph/rng.h"
#include "nn/linear.h"
#include "nn/module.h"
#include "ops/layers/attention.h"

namespace tg {

struct MultiHeadAttentionOptions {
  double keep_prob = 0.9;  // the hand-out's dropout=0.1 on the weights
  DType dtype = DType::f32;
  std::uint64_t dropout_seed = 0;
};

class MultiHeadAttention : public Module {
 public:
  // The four projections draw from `rng` (query, key, value, proj).
  MultiHeadAttention(std::int64_t embed_dim, std::int64_t num_heads,
                     const MultiHeadAttentionOptions& options, Rng& rng);
  static std::shared_ptr<MultiHeadAttention> from_config(const ModelConfig& config);

  // query (N, T, E) attends to key (N, S, E) and value (N, S, E): (N, T, E).
  // `causal`: position i attends to positions j <= i only.
  Var attend(const Var& query, const Var& key, const Var& value, const std::vector<bool>& mask = {},
             bool causal = false);
  // Self-attention, attend(x, x, x).
  Var forward(const Var& x) override;
  std::string type() const override { return "MultiHeadAttention"; }
  ModelConfig config() const override;

 private:
  // (N, L, E) -> (N * heads, L, head_dim), and back.
  Var split_heads(const Var& x) const;
  Var merge_heads(const Var& x, std::int64_t n) const;

  std::int64_t embed_dim_, num_heads_;
  double keep_prob_;
  std::shared_ptr<Linear> query_, key_, value_, proj_;
  Rng rng_;
};

class PositionalEncoding : public Module {
 public:
  PositionalEncoding(std::int64_t embed_dim, std::int64_t max_len = 5000, double keep_prob = 0.9,
                     DType dtype = DType::f32, std::uint64_t dropout_seed = 0);
  static std::shared_ptr<PositionalEncoding> from_config(const ModelConfig& config);
  Var forward(const Var& x) override;
  std::string type() const override { return "PositionalEncoding"; }
  ModelConfig config() const override;
  const Tensor& encoding() const { return pe_; }  // (max_len, embed_dim)

 private:
  std::int64_t embed_dim_, max_len_;
  double keep_prob_;
  Tensor pe_;
  Rng rng_;
};

}  // namespace tg
