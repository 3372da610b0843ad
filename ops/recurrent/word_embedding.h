// Word embedding (the course's word_embedding_forward/backward): each word
// index of x (N, T) picks its row of W (V, D), out (N, T, D). The backward
// scatter-adds dout into dW: a word used several times gets the sum of its
// rows of dout. Built on ops/embedding's kernels, with the course's name and
// shapes checked (x must be (N, T), every index in [0, V)).
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"
#include "ops/index/embedding.h"

namespace tg {

struct WordEmbeddingCache {
  Indices x;      // (N, T)
  Shape w_shape;  // (V, D)
};

struct WordEmbeddingForward {
  Tensor out;  // (N, T, D)
  WordEmbeddingCache cache;
};

WordEmbeddingForward word_embedding_forward(const Indices& x, const Tensor& w);
// dW (V, D).
Tensor word_embedding_backward(const Tensor& dout, const WordEmbeddingCache& cache);

// Tape op; the indices get no gradient.
Var word_embedding(const Indices& x, const Var& w);

}  // namespace tg
