// scaled_dot_product_attention: float64 gradient checks on awkward shapes
// (T = 1, S != T, one batch entry, D = 1), with a mask, causal and dropout;
// the same values and gradients as the computation composed from primitives;
// a fully masked row refused.
#include "ops/layers/attention.h"

#include <doctest/doctest.h>

#include <vector>

#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "graph/tape.h"
#include "ops/math/add.h"
#include "ops/math/matmul.h"
#include "ops/math/mul.h"
#include "ops/reduce/softmax.h"
#include "ops/shape/permute.h"
#include "tests/support/check_grads.h"

namespace tg {
namespace {

struct Case {
  std::int64_t b, t, s, d, e;
  bool masked, causal;
  double keep_prob;
};

// A mask with some positions of every row allowed (the first always).
std::vector<bool> some_mask(std::int64_t t, std::int64_t s) {
  std::vector<bool> mask(static_cast<std::size_t>(t * s));
  for (std::int64_t i = 0; i < t; ++i) {
    for (std::int64_t j = 0; j < s; ++j)
      mask[static_cast<std::size_t>(i * s + j)] = j == 0 || (i + j) % 3 != 1;
  }
  return mask;
}

AttentionParams params_of(const Case& c) {
  AttentionParams p;
  if (c.masked) p.mask = some_mask(c.t, c.s);
  p.causal = c.causal;
  p.keep_prob = c.keep_prob;
  return p;
}

const std::vector<Case> kCases = {
    {2, 3, 4, 2, 3, false, false, 1.0},  // S != T
    {1, 1, 1, 1, 1, false, false, 1.0},  // every size 1
    {3, 1, 5, 4, 2, false, false, 1.0},  // one query
    {2, 4, 4, 1, 3, false, true, 1.0},   // causal, D = 1
    {2, 3, 5, 3, 2, true, false, 1.0},   // a mask
    {1, 5, 5, 2, 2, true, true, 1.0},    // both
    {2, 3, 4, 2, 3, false, false, 0.7},  // dropout on the weights
};

// The same computation from primitives: softmax(q k^T / sqrt(D) + masked) v,
// dropout as a product with the op's own mask.
Var composed(const Var& q, const Var& k, const Var& v, const AttentionParams& p,
             const Tensor& drop) {
  const std::int64_t t = q.shape()[1], s = k.shape()[1], d = q.shape()[2];
  Var scores = matmul(q, permute(k, {0, 2, 1})) * (1.0 / std::sqrt(static_cast<double>(d)));
  Tensor masked = Tensor::zeros({t, s}, DType::f64);
  for (std::int64_t i = 0; i < t; ++i) {
    for (std::int64_t j = 0; j < s; ++j) {
      const bool ok = !(p.causal && j > i) && (p.mask.empty() || p.mask[i * s + j]);
      if (!ok) masked.data<double>()[i * s + j] = -1e300;  // exp gives exactly 0
    }
  }
  Var weights = softmax(scores + q.tape().constant(masked), -1);
  if (drop.defined()) weights = weights * q.tape().constant(drop);
  return matmul(weights, v);
}

}  // namespace

TEST_CASE("scaled_dot_product_attention: gradients of q, k and v (float64)") {
  for (const Case& c : kCases) {
    CAPTURE(c.t);
    CAPTURE(c.s);
    CAPTURE(c.d);
    CAPTURE(c.causal);
    CAPTURE(c.masked);
    CAPTURE(c.keep_prob);
    Rng rng(1);
    const std::vector<Tensor> inputs = {testing::randn({c.b, c.t, c.d}, rng),
                                        testing::randn({c.b, c.s, c.d}, rng),
                                        testing::randn({c.b, c.s, c.e}, rng)};
    const AttentionParams p = params_of(c);
    const GradientCheck check = check_gradients(
        [&](const std::vector<Var>& x) {
          Rng drop(7);  // the same mask in every evaluation
          return scaled_dot_product_attention(x[0], x[1], x[2], p, drop);
        },
        inputs, 3);
    testing::require_close(check, {{"q", 1e-7}, {"k", 1e-7}, {"v", 1e-7}});
  }
}

TEST_CASE("scaled_dot_product_attention equals its composition from primitives") {
  for (const Case& c : kCases) {
    CAPTURE(c.t);
    CAPTURE(c.s);
    CAPTURE(c.keep_prob);
    Rng rng(2);
    const Tensor q = testing::randn({c.b, c.t, c.d}, rng);
    const Tensor k = testing::randn({c.b, c.s, c.d}, rng);
    const Tensor v = testing::randn({c.b, c.s, c.e}, rng);
    const Tensor dout = testing::randn({c.b, c.t, c.e}, rng);
    const AttentionParams p = params_of(c);
    Rng drop(9);
    const AttentionForward kernel = scaled_dot_product_attention_forward(q, k, v, p, drop);
    std::vector<Tensor> grads[2];
    std::vector<double> outs[2];
    for (int way = 0; way < 2; ++way) {
      Tape tape;
      const Var vq = tape.variable(q), vk = tape.variable(k), vv = tape.variable(v);
      Rng again(9);
      const Var out = way == 0 ? scaled_dot_product_attention(vq, vk, vv, p, again)
                               : composed(vq, vk, vv, p, kernel.cache.drop);
      tape.backward(out, dout);
      outs[way] = out.value().to_vector();
      grads[way] = {vq.grad(), vk.grad(), vv.grad()};
    }
    CHECK(rel_error(
              Tensor::from_values({static_cast<std::int64_t>(outs[0].size())}, outs[0], DType::f64),
              Tensor::from_values({static_cast<std::int64_t>(outs[1].size())}, outs[1],
                                  DType::f64)) < 1e-12);
    for (int i = 0; i < 3; ++i) {
      CAPTURE(i);
      CHECK(rel_error(grads[0][i], grads[1][i]) < 1e-10);
    }
  }
}

TEST_CASE("scaled_dot_product_attention: causal rows, and the weights kept in the cache") {
  Rng rng(4);
  const Tensor q = testing::randn({1, 3, 2}, rng);
  const Tensor k = testing::randn({1, 3, 2}, rng);
  const Tensor v = testing::randn({1, 3, 4}, rng);
  AttentionParams p;
  p.causal = true;
  Rng unused(0);
  const AttentionForward f = scaled_dot_product_attention_forward(q, k, v, p, unused);
  // The first query attends to the first key alone: its output is v[0].
  for (int j = 0; j < 4; ++j)
    CHECK(f.out.data<double>()[j] == doctest::Approx(v.data<double>()[j]));
  const double* w = f.cache.weights.data<double>();
  CHECK(w[1] == 0.0);
  CHECK(w[2] == 0.0);
  CHECK(w[5] == 0.0);
  CHECK(w[3] + w[4] == doctest::Approx(1.0));
  CHECK_FALSE(f.cache.drop.defined());
}

TEST_CASE("scaled_dot_product_attention refuses what it cannot compute") {
  Rng rng(5);
  const Tensor q = testing::randn({1, 2, 3}, rng);
  const Tensor k = testing::randn({1, 4, 3}, rng);
  const Tensor v = testing::randn({1, 4, 2}, rng);
  AttentionParams p;
  p.mask = {true, true, true, true, false, false, false, false};  // row 1: nothing
  CHECK_THROWS_WITH_AS(scaled_dot_product_attention_forward(q, k, v, p, rng),
                       "scaled_dot_product_attention: query position 1 may attend to no key "
                       "position: every one is masked",
                       ArgumentError);
  p.mask = {true, true};
  CHECK_THROWS_WITH_AS(scaled_dot_product_attention_forward(q, k, v, p, rng),
                       "scaled_dot_product_attention: the mask must hold T * S = 2 * 4 = 8 "
                       "positions, got 2",
                       ArgumentError);
  p.mask.clear();
  CHECK_THROWS_WITH_AS(
      scaled_dot_product_attention_forward(q, testing::randn({1, 4, 2}, rng), v, p, rng),
      doctest::Contains("expects q (B, T, D), k (B, S, D), v (B, S, E)"), ArgumentError);
  p.keep_prob = 0;
  CHECK_THROWS_WITH_AS(scaled_dot_product_attention_forward(q, k, v, p, rng),
                       "scaled_dot_product_attention: keep_prob must be in (0, 1], got 0",
                       ArgumentError);
}

}  // namespace tg
