// Transformer layers as the course's hand-out and PyTorch write them
// (post-norm: each sublayer's output is added to its input, then normalised):
//   TransformerEncoderLayer: x = norm1(x + dropout1(self_attn(x)))
//                            x = norm2(x + dropout2(ffn(x)))
//   TransformerDecoderLayer: t = norm1(t + dropout1(self_attn(t, mask)))
//                            t = norm2(t + dropout2(cross_attn(t, memory)))
//                            t = norm3(t + dropout3(ffn(t)))
//   ffn(x) = linear2(dropout(relu(linear1(x)))), linear1 to dim_feedforward.
// Children by those names (ffn.linear1.weight, ...).
// Sequences are (N, T, embed_dim).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "graph/rng.h"
#include "nn/activations.h"
#include "nn/attention.h"
#include "nn/containers.h"
#include "nn/dropout.h"
#include "nn/linear.h"
#include "nn/module.h"
#include "nn/normalization.h"

namespace tg {

struct TransformerLayerOptions {
  std::int64_t num_heads = 4;
  std::int64_t dim_feedforward = 2048;
  double keep_prob = 0.9;  // every dropout of the layer (the hand-out's dropout=0.1)
  DType dtype = DType::f32;
  std::uint64_t dropout_seed = 0;  // dropout k of the layer draws from dropout_seed + k
};

// The feed-forward block both layers share, a Sequential of linear1, relu,
// dropout, linear2 (registered as the layer's child "ffn").
std::shared_ptr<Sequential> feed_forward(std::int64_t embed_dim,
                                         const TransformerLayerOptions& options, Rng& rng,
                                         std::uint64_t dropout_seed);

class TransformerEncoderLayer : public Module {
 public:
  TransformerEncoderLayer(std::int64_t embed_dim, const TransformerLayerOptions& options, Rng& rng);
  static std::shared_ptr<TransformerEncoderLayer> from_config(const ModelConfig& config);
  // `mask`: (T, T), as MultiHeadAttention::attend takes it.
  Var encode(const Var& x, const std::vector<bool>& mask = {});
  Var forward(const Var& x) override { return encode(x); }
  std::string type() const override { return "TransformerEncoderLayer"; }
  ModelConfig config() const override;

 private:
  std::int64_t embed_dim_;
  TransformerLayerOptions options_;
  std::shared_ptr<MultiHeadAttention> self_attn_;
  std::shared_ptr<Dropout> dropout1_, dropout2_;
  std::shared_ptr<LayerNorm> norm1_, norm2_;
  std::shared_ptr<Sequential> ffn_;
};

class TransformerDecoderLayer : public Module {
 public:
  TransformerDecoderLayer(std::int64_t embed_dim, const TransformerLayerOptions& options, Rng& rng);
  static std::shared_ptr<TransformerDecoderLayer> from_config(const ModelConfig& config);
  // tgt (N, T, E) attends to itself (causally by default: position i to
  // positions j <= i) and to memory (N, S, E).
  Var decode(const Var& tgt, const Var& memory, bool causal = true);
  // A decoder needs its memory: forward() throws ArgumentError saying so.
  Var forward(const Var& x) override;
  std::string type() const override { return "TransformerDecoderLayer"; }
  ModelConfig config() const override;

 private:
  std::int64_t embed_dim_;
  TransformerLayerOptions options_;
  std::shared_ptr<MultiHeadAttention> self_attn_, cross_attn_;
  std::shared_ptr<Dropout> dropout1_, dropout2_, dropout3_;
  std::shared_ptr<LayerNorm> norm1_, norm2_, norm3_;
  std::shared_ptr<Sequential> ffn_;
};

}  // namespace tg
