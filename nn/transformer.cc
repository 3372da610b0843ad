#include "nn/transformer.h"

#include "graph/checks.h"
#include "ops/math/add.h"

namespace tg {
namespace {

MultiHeadAttentionOptions attention_options(const TransformerLayerOptions& o, std::uint64_t seed) {
  MultiHeadAttentionOptions a;
  a.keep_prob = o.keep_prob;
  a.dtype = o.dtype;
  a.dropout_seed = seed;
  return a;
}

LinearOptions last_axis(DType dtype) {
  LinearOptions o;
  o.last_axis = true;
  o.dtype = dtype;
  return o;
}

TransformerLayerOptions options_of(const ModelConfig& config) {
  TransformerLayerOptions o;
  o.num_heads = config.get_int("num_heads");
  o.dim_feedforward = config.get_int("dim_feedforward");
  o.keep_prob = config.get_real("keep_prob");
  o.dtype = config.get_dtype("dtype");
  return o;
}

ModelConfig config_of(std::int64_t embed_dim, const TransformerLayerOptions& o) {
  ModelConfig config;
  config.set_int("embed_dim", embed_dim)
      .set_int("num_heads", o.num_heads)
      .set_int("dim_feedforward", o.dim_feedforward)
      .set_real("keep_prob", o.keep_prob)
      .set_dtype("dtype", o.dtype);
  return config;
}

}  // namespace

std::shared_ptr<Sequential> feed_forward(std::int64_t embed_dim,
                                         const TransformerLayerOptions& options, Rng& rng,
                                         std::uint64_t dropout_seed) {
  if (options.dim_feedforward < 1) {
    fail("Transformer", "dim_feedforward must be positive, got {}", options.dim_feedforward);
  }
  const LinearOptions o = last_axis(options.dtype);
  return sequential(
      {{"linear1", std::make_shared<Linear>(embed_dim, options.dim_feedforward, o, rng)},
       {"relu", std::make_shared<ReLU>()},
       {"dropout", std::make_shared<Dropout>(options.keep_prob, dropout_seed)},
       {"linear2", std::make_shared<Linear>(options.dim_feedforward, embed_dim, o, rng)}});
}

TransformerEncoderLayer::TransformerEncoderLayer(std::int64_t embed_dim,
                                                 const TransformerLayerOptions& options, Rng& rng)
    : embed_dim_(embed_dim), options_(options) {
  const std::uint64_t seed = options.dropout_seed;
  self_attn_ = register_module(
      "self_attn", std::make_shared<MultiHeadAttention>(embed_dim, options.num_heads,
                                                        attention_options(options, seed), rng));
  dropout1_ = register_module("dropout1", std::make_shared<Dropout>(options.keep_prob, seed + 1));
  norm1_ = register_module("norm1", std::make_shared<LayerNorm>(embed_dim, 1e-5, options.dtype));
  ffn_ = register_module("ffn", feed_forward(embed_dim, options, rng, seed + 2));
  dropout2_ = register_module("dropout2", std::make_shared<Dropout>(options.keep_prob, seed + 3));
  norm2_ = register_module("norm2", std::make_shared<LayerNorm>(embed_dim, 1e-5, options.dtype));
}

std::shared_ptr<TransformerEncoderLayer> TransformerEncoderLayer::from_config(
    const ModelConfig& config) {
  Rng rng(0);
  return std::make_shared<TransformerEncoderLayer>(config.get_int("embed_dim"), options_of(config),
                                                   rng);
}

Var TransformerEncoderLayer::encode(const Var& x, const std::vector<bool>& mask) {
  Var h = (*norm1_)(x + (*dropout1_)(self_attn_->attend(x, x, x, mask)));
  return (*norm2_)(h + (*dropout2_)((*ffn_)(h)));
}

ModelConfig TransformerEncoderLayer::config() const { return config_of(embed_dim_, options_); }

TransformerDecoderLayer::TransformerDecoderLayer(std::int64_t embed_dim,
                                                 const TransformerLayerOptions& options, Rng& rng)
    : embed_dim_(embed_dim), options_(options) {
  const std::uint64_t seed = options.dropout_seed;
  self_attn_ = register_module(
      "self_attn", std::make_shared<MultiHeadAttention>(embed_dim, options.num_heads,
                                                        attention_options(options, seed), rng));
  dropout1_ = register_module("dropout1", std::make_shared<Dropout>(options.keep_prob, seed + 1));
  norm1_ = register_module("norm1", std::make_shared<LayerNorm>(embed_dim, 1e-5, options.dtype));
  cross_attn_ = register_module(
      "cross_attn", std::make_shared<MultiHeadAttention>(
                        embed_dim, options.num_heads, attention_options(options, seed + 2), rng));
  dropout2_ = register_module("dropout2", std::make_shared<Dropout>(options.keep_prob, seed + 3));
  norm2_ = register_module("norm2", std::make_shared<LayerNorm>(embed_dim, 1e-5, options.dtype));
  ffn_ = register_module("ffn", feed_forward(embed_dim, options, rng, seed + 4));
  dropout3_ = register_module("dropout3", std::make_shared<Dropout>(options.keep_prob, seed + 5));
  norm3_ = register_module("norm3", std::make_shared<LayerNorm>(embed_dim, 1e-5, options.dtype));
}

std::shared_ptr<TransformerDecoderLayer> TransformerDecoderLayer::from_config(
    const ModelConfig& config) {
  Rng rng(0);
  return std::make_shared<TransformerDecoderLayer>(config.get_int("embed_dim"), options_of(config),
                                                   rng);
}

Var TransformerDecoderLayer::decode(const Var& tgt, const Var& memory, bool causal) {
  Var t = (*norm1_)(tgt + (*dropout1_)(self_attn_->attend(tgt, tgt, tgt, {}, causal)));
  t = (*norm2_)(t + (*dropout2_)(cross_attn_->attend(t, memory, memory)));
  return (*norm3_)(t + (*dropout3_)((*ffn_)(t)));
}

Var TransformerDecoderLayer::forward(const Var&) {
  fail(prefix() + "TransformerDecoderLayer",
       "attends to a memory: call decode(tgt, memory), not forward(x)");
}

ModelConfig TransformerDecoderLayer::config() const { return config_of(embed_dim_, options_); }

}  // namespace tg
