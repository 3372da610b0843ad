// The course's temporal layers: word embedding, temporal affine and the
// temporal softmax loss with its mask. Notebook checks, float64 gradient
// checks of kernels and tape ops (N = 1, T = 1, masks with all-false rows),
// comparisons with the same computation composed from primitives.
#include <doctest/doctest.h>

#include <array>

#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "ops/math/add.h"
#include "ops/math/matmul.h"
#include "ops/math/mul.h"
#include "ops/math/scale.h"
#include "ops/recurrent/temporal_affine.h"
#include "ops/recurrent/temporal_softmax_loss.h"
#include "ops/recurrent/word_embedding.h"
#include "ops/reduce/softmax.h"
#include "ops/reduce/sum.h"
#include "tests/support/check_grads.h"
#include "tests/support/recurrent_testing.h"

using namespace tg;
using namespace tg::testing;

namespace {

Indices random_words(std::int64_t n, std::int64_t t, std::int64_t v, Rng& rng) {
  std::vector<std::int64_t> words(static_cast<std::size_t>(n * t));
  for (auto& w : words) w = static_cast<std::int64_t>(rng.below(v));
  return Indices(words, {n, t});
}

Mask random_mask(std::int64_t n, std::int64_t t, double p, Rng& rng) {
  std::vector<bool> values(static_cast<std::size_t>(n * t));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = rng.uniform() < p;
  return Mask(values, {n, t});
}

// The loss from primitives: -(1/N) sum(log_softmax(x) * onehot), where the
// one-hot targets are zero at masked positions.
Var composed_loss(const Var& x, const Indices& y, const Mask& mask) {
  Tensor onehot = Tensor::zeros(x.shape(), x.dtype());
  const std::int64_t v = x.shape()[2];
  for (std::size_t p = 0; p < y.values().size(); ++p) {
    if (mask.values()[p]) {
      dispatch(x.dtype(), [&](auto zero) {
        onehot.data<decltype(zero)>()[static_cast<std::int64_t>(p) * v + y.values()[p]] = 1;
      });
    }
  }
  const Var picked = log_softmax(x, -1) * x.tape().constant(onehot);
  return scale(sum(picked), -1.0 / static_cast<double>(x.shape()[0]));
}

}  // namespace

TEST_CASE("word_embedding_forward picks the rows of W, as in the notebook") {
  const std::int64_t v = 5, d = 3;
  const Tensor w = linspace(0, 1, {v, d});
  const Indices x({0, 3, 1, 2, 2, 1, 0, 3}, {2, 4});
  const WordEmbeddingForward out = word_embedding_forward(x, w);
  REQUIRE(out.out.shape() == Shape{2, 4, 3});
  for (std::int64_t p = 0; p < 8; ++p) {
    for (std::int64_t j = 0; j < d; ++j) {
      CHECK(out.out.at<double>(p / 4, p % 4, j) == w.at<double>(x.values()[p], j));
    }
  }
}

TEST_CASE("word_embedding_backward: repeated words accumulate; gradients checked") {
  Rng rng(1);
  SUBCASE("one word everywhere gets every row of dout") {
    const Indices x(std::vector<std::int64_t>(6, 2), {2, 3});
    const Tensor dout = randn({2, 3, 4}, rng);
    const Tensor dw =
        word_embedding_backward(dout, word_embedding_forward(x, randn({5, 4}, rng)).cache);
    for (std::int64_t j = 0; j < 4; ++j) {
      double total = 0;
      for (std::int64_t p = 0; p < 6; ++p) total += dout.at<double>(p / 3, p % 3, j);
      CHECK(dw.at<double>(2, j) == doctest::Approx(total).epsilon(1e-15));
      CHECK(dw.at<double>(0, j) == 0.0);
    }
  }
  for (const auto& [n, t, v, d] : std::vector<std::array<std::int64_t, 4>>{
           {2, 4, 5, 3}, {1, 1, 3, 2}, {3, 2, 1, 4}, {1, 5, 2, 1}}) {
    CAPTURE(n);
    CAPTURE(t);
    const Indices x = random_words(n, t, v, rng);
    Tensor w = randn({v, d}, rng);
    const Tensor dout = randn({n, t, d}, rng);
    const auto loss = [&] { return dot(word_embedding_forward(x, w).out, dout); };
    require_kernel_gradient("W", word_embedding_backward(dout, word_embedding_forward(x, w).cache),
                            loss, w);
    require_close(
        check_gradients([&x](const std::vector<Var>& in) { return word_embedding(x, in[0]); }, {w},
                        2),
        {"W"}, 1e-7);
  }
}

TEST_CASE("temporal_affine: gradients checked, equal to a batched matmul plus bias") {
  Rng rng(3);
  for (const auto& [n, t, d, m] : std::vector<std::array<std::int64_t, 4>>{
           {2, 3, 4, 5}, {1, 1, 1, 1}, {1, 4, 3, 2}, {3, 1, 2, 6}}) {
    CAPTURE(n);
    CAPTURE(t);
    std::vector<Tensor> in = {randn({n, t, d}, rng), randn({d, m}, rng), randn({m}, rng)};
    const Tensor dout = randn({n, t, m}, rng);
    const auto loss = [&] { return dot(temporal_affine_forward(in[0], in[1], in[2]).out, dout); };
    const TemporalAffineGrads g =
        temporal_affine_backward(dout, temporal_affine_forward(in[0], in[1], in[2]).cache);
    require_kernel_gradient("x", g.dx, loss, in[0]);
    require_kernel_gradient("w", g.dw, loss, in[1]);
    require_kernel_gradient("b", g.db, loss, in[2]);
    require_close(
        check_gradients([](const std::vector<Var>& v) { return temporal_affine(v[0], v[1], v[2]); },
                        in, 4),
        {"x", "w", "b"}, 1e-7);
    require_same_as_composition(
        as_multi([](const std::vector<Var>& v) { return temporal_affine(v[0], v[1], v[2]); }),
        as_multi([](const std::vector<Var>& v) { return matmul(v[0], v[1]) + v[2]; }), in,
        {"x", "w", "b"}, 1e-14);
  }
  const TemporalAffineForward out =
      temporal_affine_forward(randn({2, 3, 4}, rng), randn({4, 5}, rng), randn({5}, rng));
  CHECK_FALSE(temporal_affine_backward(randn({2, 3, 5}, rng), out.cache, false).dx.defined());
}

TEST_CASE("temporal_softmax_loss: the notebook's sanity checks") {
  // Small random scores: about log(V) per counted step, divided by N.
  Rng rng(5);
  const auto loss_for = [&](std::int64_t n, std::int64_t t, std::int64_t v, double p) {
    const Tensor x = Tensor::randn({n, t, v}, rng, DType::f64, 0, 0.001);
    return temporal_softmax_loss_kernel(x, random_words(n, t, v, rng), random_mask(n, t, p, rng))
        .loss;
  };
  CHECK(loss_for(100, 1, 10, 1.0) == doctest::Approx(2.3).epsilon(0.01));
  CHECK(loss_for(100, 10, 10, 1.0) == doctest::Approx(23).epsilon(0.01));
  CHECK(loss_for(5000, 10, 10, 0.1) == doctest::Approx(2.3).epsilon(0.05));
  // A masked step contributes nothing, whatever its scores.
  Tensor x = Tensor::randn({2, 3, 4}, rng, DType::f64);
  const Indices y({0, 1, 2, 3, 0, 1}, {2, 3});
  const Mask mask({true, false, true, false, false, false}, {2, 3});
  const LossAndGrad before = temporal_softmax_loss_kernel(x, y, mask);
  x.at<double>(0, 1, 2) = 50;
  x.at<double>(1, 0, 0) = -50;
  const LossAndGrad after = temporal_softmax_loss_kernel(x, y, mask);
  CHECK(after.loss == before.loss);
  CHECK(max_abs(after.dscores) > 0);
  for (std::int64_t j = 0; j < 4; ++j) {
    CHECK(after.dscores.at<double>(0, 1, j) == 0.0);
    CHECK(after.dscores.at<double>(1, 2, j) == 0.0);
  }
}

TEST_CASE("temporal_softmax_loss: gradients checked, with all-false mask rows") {
  Rng rng(6);
  for (const auto& [n, t, v] : std::vector<std::array<std::int64_t, 3>>{
           {3, 4, 5}, {1, 1, 3}, {1, 5, 2}, {4, 1, 6}, {2, 3, 1}}) {
    CAPTURE(n);
    CAPTURE(t);
    CAPTURE(v);
    const Indices y = random_words(n, t, v, rng);
    std::vector<bool> values(static_cast<std::size_t>(n * t));
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = rng.uniform() < 0.6;
    if (n > 1) {
      for (std::int64_t s = 0; s < t; ++s) values[s] = false;  // sequence 0: all padding
      values[t] = true;
    }
    const Mask mask(values, {n, t});
    Tensor x = randn({n, t, v}, rng);
    const auto loss = [&] { return temporal_softmax_loss_kernel(x, y, mask).loss; };
    require_kernel_gradient("x", temporal_softmax_loss_kernel(x, y, mask).dscores, loss, x);
    const auto op = [&](const std::vector<Var>& in) {
      return temporal_softmax_loss(in[0], y, mask);
    };
    require_close(check_gradients(op, {x}, 7), {"x"}, 1e-7);
    require_same_as_composition(as_multi(op), as_multi([&](const std::vector<Var>& in) {
                                  return composed_loss(in[0], y, mask);
                                }),
                                {x}, {"x"}, 1e-14);
  }
  SUBCASE("every position masked: zero loss and zero gradient") {
    const Mask none(std::vector<bool>(6, false), {2, 3});
    const LossAndGrad out =
        temporal_softmax_loss_kernel(randn({2, 3, 4}, rng), random_words(2, 3, 4, rng), none);
    CHECK(out.loss == 0.0);
    CHECK(max_abs(out.dscores) == 0.0);
  }
}
