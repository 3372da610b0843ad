#include "nn/attention.h"

#include <cmath>

#include "graph/checks.h"
#include "ops/layers/dropout.h"
#include "ops/math/add.h"
#include "ops/shape/permute.h"
#include "ops/shape/reshape.h"
#include "ops/shape/slice.h"

namespace tg {
namespace {

void check_keep_prob(const char* type, double keep_prob) {
  if (!(keep_prob > 0 && keep_prob <= 1)) {
    fail(type, "keep_prob must be in (0, 1], got {}", keep_prob);
  }
}

// The projections start as N(0, 0.02^2) (GPT-2's choice for attention).
LinearOptions projection(DType dtype) {
  LinearOptions o;
  o.last_axis = true;
  o.dtype = dtype;
  o.init = {WeightInit::Kind::normal, 0.02};
  return o;
}

}  // namespace

MultiHeadAttention::MultiHeadAttention(std::int64_t embed_dim, std::int64_t num_heads,
                                       const MultiHeadAttentionOptions& options, Rng& rng)
    : embed_dim_(embed_dim),
      num_heads_(num_heads),
      keep_prob_(options.keep_prob),
      rng_(options.dropout_seed) {
  if (num_heads < 1 || embed_dim < 1 || embed_dim % num_heads != 0) {
    fail("MultiHeadAttention", "embed_dim ({}) must be a positive multiple of num_heads ({})",
         embed_dim, num_heads);
  }
  check_keep_prob("MultiHeadAttention", keep_prob_);
  const LinearOptions o = projection(options.dtype);
  query_ = register_module("query", std::make_shared<Linear>(embed_dim, embed_dim, o, rng));
  key_ = register_module("key", std::make_shared<Linear>(embed_dim, embed_dim, o, rng));
  value_ = register_module("value", std::make_shared<Linear>(embed_dim, embed_dim, o, rng));
  proj_ = register_module("proj", std::make_shared<Linear>(embed_dim, embed_dim, o, rng));
  register_generator("rng", rng_);
}

std::shared_ptr<MultiHeadAttention> MultiHeadAttention::from_config(const ModelConfig& config) {
  MultiHeadAttentionOptions o;
  o.keep_prob = config.get_real("keep_prob");
  o.dtype = config.get_dtype("dtype");
  Rng rng(0);
  return std::make_shared<MultiHeadAttention>(config.get_int("embed_dim"),
                                              config.get_int("num_heads"), o, rng);
}

Var MultiHeadAttention::split_heads(const Var& x) const {
  const Shape& s = x.shape();
  const std::int64_t head_dim = embed_dim_ / num_heads_;
  const Var heads = permute(reshape(x, {s[0], s[1], num_heads_, head_dim}), {0, 2, 1, 3});
  return reshape(heads, {s[0] * num_heads_, s[1], head_dim});
}

Var MultiHeadAttention::merge_heads(const Var& x, std::int64_t n) const {
  const std::int64_t length = x.shape()[1], head_dim = embed_dim_ / num_heads_;
  const Var heads = permute(reshape(x, {n, num_heads_, length, head_dim}), {0, 2, 1, 3});
  return reshape(heads, {n, length, embed_dim_});
}

Var MultiHeadAttention::attend(const Var& query, const Var& key, const Var& value,
                               const std::vector<bool>& mask, bool causal) {
  const Shape &q = query.shape(), &k = key.shape(), &v = value.shape();
  if (q.rank() != 3 || k.rank() != 3 || v.rank() != 3 || q[2] != embed_dim_ || k[2] != embed_dim_ ||
      v[2] != embed_dim_ || k[0] != q[0] || v[0] != q[0] || v[1] != k[1]) {
    fail(prefix() + "MultiHeadAttention",
         "expects query (N, T, {0}), key and value (N, S, {0}); got {1}, {2}, {3}", embed_dim_,
         q.str(), k.str(), v.str());
  }
  AttentionParams params;
  params.mask = mask;
  params.causal = causal;
  params.keep_prob = is_training() ? keep_prob_ : 1.0;
  const Var heads =
      scaled_dot_product_attention(split_heads((*query_)(query)), split_heads((*key_)(key)),
                                   split_heads((*value_)(value)), params, rng_);
  return (*proj_)(merge_heads(heads, q[0]));
}

Var MultiHeadAttention::forward(const Var& x) { return attend(x, x, x); }

ModelConfig MultiHeadAttention::config() const {
  ModelConfig config;
  config.set_int("embed_dim", embed_dim_)
      .set_int("num_heads", num_heads_)
      .set_real("keep_prob", keep_prob_)
      .set_dtype("dtype", query_->weight().value().dtype());
  return config;
}

PositionalEncoding::PositionalEncoding(std::int64_t embed_dim, std::int64_t max_len,
                                       double keep_prob, DType dtype, std::uint64_t dropout_seed)
    : embed_dim_(embed_dim), max_len_(max_len), keep_prob_(keep_prob), rng_(dropout_seed) {
  if (embed_dim < 2 || embed_dim % 2 != 0 || max_len < 1) {
    fail("PositionalEncoding",
         "embed_dim must be even and positive and max_len positive, got {} and {}", embed_dim,
         max_len);
  }
  check_keep_prob("PositionalEncoding", keep_prob);
  pe_ = Tensor::empty({max_len, embed_dim}, dtype);
  dispatch(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* pe = pe_.data<T>();
    for (std::int64_t t = 0; t < max_len; ++t) {
      for (std::int64_t i = 0; i < embed_dim; i += 2) {
        // 10000^(-i / D) with i the even index 2k.
        const double angle =
            static_cast<double>(t) *
            std::pow(10000.0, -static_cast<double>(i) / static_cast<double>(embed_dim));
        pe[t * embed_dim + i] = static_cast<T>(std::sin(angle));
        pe[t * embed_dim + i + 1] = static_cast<T>(std::cos(angle));
      }
    }
  });
  register_generator("rng", rng_);
}

std::shared_ptr<PositionalEncoding> PositionalEncoding::from_config(const ModelConfig& config) {
  return std::make_shared<PositionalEncoding>(
      config.get_int("embed_dim"), config.get_int("max_len"), config.get_real("keep_prob"),
      config.get_dtype("dtype"));
}

Var PositionalEncoding::forward(const Var& x) {
  const Shape& s = x.shape();
  if (s.rank() != 3 || s[2] != embed_dim_ || s[1] > max_len_ || s[1] < 1) {
    fail(prefix() + "PositionalEncoding", "expects (N, T, {}) with 1 <= T <= {}, got {}",
         embed_dim_, max_len_, s.str());
  }
  const Tensor first = slice_forward(pe_, 0, 0, s[1]).reshape(Shape{1, s[1], embed_dim_});
  const Var out = x + x.tape().constant(first);
  return dropout(out, {keep_prob_, mode()}, rng_);
}

ModelConfig PositionalEncoding::config() const {
  ModelConfig config;
  config.set_int("embed_dim", embed_dim_)
      .set_int("max_len", max_len_)
      .set_real("keep_prob", keep_prob_)
      .set_dtype("dtype", pe_.dtype());
  return config;
}

}  // namespace tg
