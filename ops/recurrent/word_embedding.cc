#include "ops/recurrent/word_embedding.h"

#include "graph/checks.h"
#include "graph/op.h"

namespace tg {
namespace {

constexpr char kOp[] = "word_embedding";

void check_inputs(std::string_view op, const Indices& x, const Shape& w_shape) {
  if (x.shape().rank() != 2 || x.shape().numel() == 0) {
    fail(op, "x must be (N, T) word indices with N, T > 0, got shape {}", x.shape().str());
  }
  if (w_shape.rank() != 2 || w_shape.numel() == 0) {
    fail(op, "W must be a (V, D) table with V, D > 0, got {}", w_shape.str());
  }
  const std::int64_t steps = x.shape()[1];
  const std::vector<std::int64_t>& words = x.values();
  for (std::size_t p = 0; p < words.size(); ++p) {
    if (words[p] < 0 || words[p] >= w_shape[0]) {
      fail(op, "x({},{}) is {}, outside the vocabulary [0, {}) of W {}",
           static_cast<std::int64_t>(p) / steps, static_cast<std::int64_t>(p) % steps, words[p],
           w_shape[0], w_shape.str());
    }
  }
}

}  // namespace

WordEmbeddingForward word_embedding_forward(const Indices& x, const Tensor& w) {
  if (!w.defined()) fail(kOp, "W is undefined (an empty Tensor handle)");
  check_inputs(kOp, x, w.shape());
  return {embedding_forward(x, w), {x, w.shape()}};
}

Tensor word_embedding_backward(const Tensor& dout, const WordEmbeddingCache& cache) {
  check_inputs("word_embedding backward", cache.x, cache.w_shape);
  return embedding_backward(dout, cache.x, cache.w_shape);
}

Var word_embedding(const Indices& x, const Var& w) {
  Op op(kOp, {w});
  WordEmbeddingForward result = word_embedding_forward(x, op.input(0));
  return op.finish(std::move(result.out),
                   [cache = std::move(result.cache)](const Tensor& dout, InputGrads& grads) {
                     grads.add(0, embedding_backward(dout, cache.x, cache.w_shape));
                   });
}

}  // namespace tg
