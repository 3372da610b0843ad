// Indexing: where(mask, a, b) and embedding(indices, W).
#include <doctest/doctest.h>

#include <vector>

#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "ops/index/embedding.h"
#include "ops/index/where.h"
#include "ops/reduce/sum.h"
#include "tests/support/check_grads.h"

using namespace tg;
using tg::testing::randn;
using tg::testing::require_close;

namespace {

// A random 0/1 mask.
Tensor random_mask(const Shape& shape, Rng& rng) {
  std::vector<double> values(shape.numel());
  for (double& v : values) v = static_cast<double>(rng.below(2));
  return Tensor::from_values(shape, values, DType::f64);
}

}  // namespace

TEST_CASE("where picks a where the mask is 1 and b where it is 0, broadcasting all three") {
  const Tensor mask = Tensor::from_values({2, 1}, {1, 0});
  const Tensor a = Tensor::from_values({3}, {1, 2, 3}, DType::f64);
  const Tensor b = Tensor::from_values({}, {-1}, DType::f64);
  const WhereForward r = where_forward(mask, a, b);  // a float32 mask serves float64 values
  CHECK(r.out.shape() == Shape{2, 3});
  CHECK(r.out.to_vector() == std::vector<double>{1, 2, 3, -1, -1, -1});
  Tape tape;
  const Var va = tape.variable(a), vb = tape.variable(b);
  tape.backward(sum(where(mask, va, vb)));
  CHECK(va.grad().to_vector() == std::vector<double>{1, 1, 1});  // one row of the mask is 1
  CHECK(vb.grad().to_vector() == std::vector<double>{3});        // three elements took b
}

TEST_CASE("where: gradients with broadcasting, N = 1 and size-1 axes") {
  struct Case {
    Shape mask, a, b;
  };
  Rng rng(1);
  for (const Case& c :
       {Case{{3, 4}, {3, 4}, {3, 4}}, Case{{3, 4}, {4}, {3, 1}}, Case{{2, 1, 3}, {1, 4, 1}, {}},
        Case{{1, 5}, {1, 5}, {5}}, Case{{4}, {2, 3, 4}, {2, 1, 1}}}) {
    CAPTURE(c.mask.str());
    CAPTURE(c.a.str());
    CAPTURE(c.b.str());
    const Tensor mask = random_mask(c.mask, rng);
    require_close(
        check_gradients([&](const std::vector<Var>& in) { return where(mask, in[0], in[1]); },
                        {randn(c.a, rng), randn(c.b, rng)}),
        {"a", "b"}, 1e-7);
  }
}

TEST_CASE("where rejects masks that are not 0/1 and shapes that do not broadcast") {
  const Tensor a = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH_AS(where_forward(Tensor::from_values({3}, {0, 1, 0.5}), a, a),
                       "where: mask element 2 (row-major) is 0.5; a mask holds only 0 and 1",
                       ArgumentError);
  CHECK_THROWS_WITH_AS(where_forward(Tensor::ones({3}), a, Tensor::zeros({2, 2})),
                       "where: b must broadcast with mask and a (2,3), got (2,2) (axis -1: 3 vs 2)",
                       ArgumentError);
}

TEST_CASE("embedding gathers rows for (N) and (N,T) indices") {
  const Tensor w = Tensor::from_values({4, 2}, {0, 1, 10, 11, 20, 21, 30, 31}, DType::f64);
  const Tensor one = embedding_forward(Indices({3, 0, 3}), w);
  CHECK(one.shape() == Shape{3, 2});
  CHECK(one.to_vector() == std::vector<double>{30, 31, 0, 1, 30, 31});
  const Tensor two = embedding_forward(Indices({1, 2, 3, 1, 1, 0}, {2, 3}), w);
  CHECK(two.shape() == Shape{2, 3, 2});
  CHECK(two.at<double>(1, 2, 1) == 1);
  CHECK(two.at<double>(0, 1, 0) == 20);
  CHECK(embedding_forward(Indices({2}, Shape{}), w).shape() == Shape{2});
}

TEST_CASE("embedding backward scatter-adds: repeated indices accumulate") {
  const Indices indices({2, 0, 2, 2}, {2, 2});
  const Tensor dout =
      Tensor::from_values({2, 2, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, DType::f64);
  const Tensor dw = embedding_backward(dout, indices, {3, 3});
  CHECK(dw.to_vector() ==
        std::vector<double>{4, 5, 6, 0, 0, 0, 1 + 7 + 10, 2 + 8 + 11, 3 + 9 + 12});
  Rng rng(2);
  for (const Indices& idx :
       {Indices({0, 3, 3, 1, 4}), Indices({1, 1, 0, 2, 4, 4}, {2, 3}), Indices({2}, {1, 1})}) {
    CAPTURE(idx.shape().str());
    require_close(check_gradients([&](const std::vector<Var>& in) { return embedding(idx, in[0]); },
                                  {randn({5, 3}, rng)}),
                  {"w"}, 1e-7);
  }
}

TEST_CASE("embedding rejects an index outside [0, V), naming its position") {
  const Tensor w = Tensor::zeros({10, 4});
  CHECK_THROWS_WITH_AS(embedding_forward(Indices({1, 2, 3, 12, 0, 0}, {2, 3}), w),
                       "embedding: indices(1,0) is 12, outside [0, 10) (the rows of w (10,4))",
                       ArgumentError);
  CHECK_THROWS_WITH_AS(embedding_forward(Indices({-1}), w),
                       "embedding: indices(0) is -1, outside [0, 10) (the rows of w (10,4))",
                       ArgumentError);
  CHECK_THROWS_WITH_AS(Indices({1, 2, 3}, {2, 2}), "Indices: shape (2,2) needs 4 values, got 3",
                       ArgumentError);
}
