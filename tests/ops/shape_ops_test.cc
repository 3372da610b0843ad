// Linear algebra and shapes: matmul, permute/transpose, reshape/flatten,
// slice, concat, stack.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "ops/math/matmul.h"
#include "ops/shape/concat.h"
#include "ops/shape/permute.h"
#include "ops/shape/reshape.h"
#include "ops/shape/slice.h"
#include "ops/shape/stack.h"
#include "tests/support/check_grads.h"

using namespace tg;
using tg::testing::randn;
using tg::testing::require_close;

namespace {

// a @ b by the definition, one dot product per element; a (B,M,K) or (M,K),
// b (B,K,N) or (K,N).
std::vector<double> naive_matmul(const Tensor& a, const Tensor& b) {
  const std::int64_t batch = a.rank() == 3 ? a.dim(0) : 1;
  const std::int64_t m = a.dim(-2), k = a.dim(-1), n = b.dim(-1);
  const std::vector<double> va = a.to_vector(), vb = b.to_vector();
  const std::int64_t b_step = b.rank() == 3 ? k * n : 0;
  std::vector<double> out;
  for (std::int64_t s = 0; s < batch; ++s)
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        double dot = 0;
        for (std::int64_t t = 0; t < k; ++t)
          dot += va[s * m * k + i * k + t] * vb[s * b_step + t * n + j];
        out.push_back(dot);
      }
  return out;
}

void check_close(const std::vector<double>& got, const std::vector<double>& expected,
                 double tolerance) {
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i] == doctest::Approx(expected[i]).epsilon(tolerance));
  }
}

Tensor iota(const Shape& shape) {
  std::vector<double> values(shape.numel());
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i);
  return Tensor::from_values(shape, values, DType::f64);
}

}  // namespace

TEST_CASE("matmul: 2-D, batched and shared-b products equal the definition, and gradients") {
  struct Case {
    Shape a, b;
  };
  Rng rng(1);
  for (const Case& c :
       {Case{{3, 4}, {4, 5}}, Case{{1, 4}, {4, 1}}, Case{{2, 3, 4}, {2, 4, 5}},
        Case{{1, 1, 3}, {1, 3, 2}}, Case{{3, 2, 4}, {4, 5}}, Case{{1, 1}, {1, 1}}}) {
    CAPTURE(c.a.str());
    CAPTURE(c.b.str());
    const Tensor a = randn(c.a, rng), b = randn(c.b, rng);
    check_close(matmul_forward(a, b).out.to_vector(), naive_matmul(a, b), 1e-13);
    check_close(matmul_forward(a.to(DType::f32), b.to(DType::f32)).out.to_vector(),
                naive_matmul(a, b), 1e-5);
    require_close(
        check_gradients([](const std::vector<Var>& in) { return matmul(in[0], in[1]); }, {a, b}),
        {"a", "b"}, 1e-7);
  }
}

TEST_CASE("matmul rejects shapes that do not multiply") {
  const Tensor a = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH_AS(matmul_forward(a, Tensor::zeros({4, 2})),
                       "matmul: a (2,3) has 3 columns but b (4,2) has 4 rows", ArgumentError);
  CHECK_THROWS_WITH_AS(matmul_forward(Tensor::zeros({2, 2, 3}), Tensor::zeros({3, 3, 1})),
                       "matmul: b must have 2 batch entries like a (2,2,3), got (3,3,1)",
                       ArgumentError);
}

TEST_CASE("permute and transpose: values, and gradients through the inverse permutation") {
  const Tensor x = iota({2, 3, 4});
  const Tensor p = permute_forward(x, {2, 0, 1});
  REQUIRE(p.shape() == Shape{4, 2, 3});
  for (std::int64_t i = 0; i < 2; ++i)
    for (std::int64_t j = 0; j < 3; ++j)
      for (std::int64_t k = 0; k < 4; ++k) CHECK(p.at<double>(k, i, j) == x.at<double>(i, j, k));
  Tape tape;
  const Var m = tape.constant(iota({2, 3}));
  CHECK(transpose(m).value().to_vector() == std::vector<double>{0, 3, 1, 4, 2, 5});
  CHECK(permute_forward(x, {0, 1, 2}).to_vector() == x.to_vector());

  Rng rng(2);
  struct Case {
    Shape x;
    std::vector<int> axes;
  };
  for (const Case& c : {Case{{2, 3, 4, 5}, {0, 2, 3, 1}}, Case{{2, 3, 4, 5}, {3, 2, 1, 0}},
                        Case{{2, 1, 3}, {1, 0, 2}}, Case{{1, 4}, {1, 0}}, Case{{3, 2}, {1, 0}}}) {
    CAPTURE(c.x.str());
    const std::vector<int> axes = c.axes;
    require_close(check_gradients([&](const std::vector<Var>& in) { return permute(in[0], axes); },
                                  {randn(c.x, rng)}),
                  {"x"}, 1e-7);
  }
  require_close(check_gradients([](const std::vector<Var>& in) { return transpose(in[0]); },
                                {randn({3, 5}, rng)}),
                {"x"}, 1e-7);
}

TEST_CASE("reshape and flatten are views: no copy, gradient reshaped back") {
  Tape tape;
  const Var x = tape.variable(iota({2, 3, 4}));
  const Var r = reshape(x, {4, -1});
  CHECK(r.shape() == Shape{4, 6});
  CHECK(r.value().shares_storage_with(x.value()));
  CHECK(flatten(x).shape() == Shape{2, 12});
  CHECK(flatten(x, 0).shape() == Shape{24});
  CHECK(flatten(x, -1).shape() == Shape{2, 3, 4});
  CHECK(reshape(x, {24}).value().to_vector() == x.value().to_vector());
  Rng rng(3);
  require_close(check_gradients(
                    [](const std::vector<Var>& in) {
                      return reshape(in[0], {3, 1, -1});
                    },
                    {randn({2, 3, 2}, rng)}),
                {"x"}, 1e-7);
  require_close(check_gradients([](const std::vector<Var>& in) { return flatten(in[0]); },
                                {randn({1, 2, 3, 1}, rng)}),
                {"x"}, 1e-7);
  CHECK_THROWS_WITH_AS(reshape(x, {5, -1}), "reshape: cannot view (2,3,4) (24 elements) as [5,-1]",
                       ArgumentError);
  CHECK_THROWS_WITH_AS(reshape(x, {-1, -1}),
                       "reshape: the new shape [-1,-1] may hold one -1 and no other negative size",
                       ArgumentError);
}

TEST_CASE("slice: values along any axis, steps and negative bounds; gradients") {
  const Tensor x = iota({3, 4});
  CHECK(slice_forward(x, 0, 1, 3).to_vector() == std::vector<double>{4, 5, 6, 7, 8, 9, 10, 11});
  CHECK(slice_forward(x, 1, 0, 4, 2).to_vector() == std::vector<double>{0, 2, 4, 6, 8, 10});
  CHECK(slice_forward(x, -1, -2, 4).to_vector() == std::vector<double>{2, 3, 6, 7, 10, 11});
  CHECK(slice_forward(x, 1, 1, -1).to_vector() == std::vector<double>{1, 2, 5, 6, 9, 10});
  CHECK(slice_forward(x, 0, 0, 3, 5).shape() == Shape{1, 4});
  const Tensor dx = slice_backward(Tensor::ones({3, 2}, DType::f64), {3, 4}, 1, 1, 4, 2);
  CHECK(dx.to_vector() == std::vector<double>{0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1});

  Rng rng(4);
  struct Case {
    Shape x;
    int axis;
    std::int64_t start, end, step;
  };
  for (const Case& c :
       {Case{{4, 5}, 1, 1, 4, 1}, Case{{2, 6, 3}, 1, 0, 6, 2}, Case{{1, 3}, 0, 0, 1, 1},
        Case{{5}, 0, -3, 5, 2}, Case{{2, 3, 1}, -1, 0, 1, 1}}) {
    CAPTURE(c.x.str());
    CAPTURE(c.axis);
    require_close(check_gradients(
                      [&](const std::vector<Var>& in) {
                        return slice(in[0], c.axis, c.start, c.end, c.step);
                      },
                      {randn(c.x, rng)}),
                  {"x"}, 1e-7);
  }
}

TEST_CASE("concat and stack kernels: values and the split of the gradient") {
  const Tensor a = iota({2, 2}), b = iota({2, 3});
  const Tensor joined = concat_forward({a, b}, 1);
  CHECK(joined.to_vector() == std::vector<double>{0, 1, 0, 1, 2, 2, 3, 3, 4, 5});
  const std::vector<Tensor> parts = concat_backward(joined, {a.shape(), b.shape()}, -1);
  CHECK(parts[0].to_vector() == a.to_vector());
  CHECK(parts[1].to_vector() == b.to_vector());
  CHECK(concat_forward({a, a, a}, 0).shape() == Shape{6, 2});

  const Tensor s = stack_forward({a, iota({2, 2})}, 1);
  REQUIRE(s.shape() == Shape{2, 2, 2});
  CHECK(s.to_vector() == std::vector<double>{0, 1, 0, 1, 2, 3, 2, 3});
  CHECK(stack_forward({a, a, a}, -1).shape() == Shape{2, 2, 3});
  CHECK(stack_forward({Tensor::ones({}, DType::f64)}, 0).shape() == Shape{1});
  const std::vector<Tensor> grads = stack_backward(s, 2, {2, 2}, 1);
  CHECK(grads[0].to_vector() == a.to_vector());
  CHECK(grads[1].shape() == Shape{2, 2});
}

TEST_CASE("concat and stack: gradients for one to six inputs, along any axis") {
  Rng rng(5);
  struct Case {
    std::vector<Shape> inputs;
    int axis;
  };
  for (const Case& c : {Case{{{2, 3}}, 0}, Case{{{2, 3}, {2, 1}, {2, 4}}, 1},
                        Case{{{1, 2, 3}, {2, 2, 3}, {1, 2, 3}, {3, 2, 3}, {1, 2, 3}, {1, 2, 3}}, 0},
                        Case{{{2, 1, 2}, {2, 3, 2}}, -2}, Case{{{1}, {3}}, 0}}) {
    CAPTURE(c.inputs.size());
    CAPTURE(c.axis);
    std::vector<Tensor> inputs;
    for (const Shape& shape : c.inputs) inputs.push_back(randn(shape, rng));
    const GradientCheck check =
        check_gradients([&](const std::vector<Var>& in) { return concat(in, c.axis); }, inputs);
    CHECK(check.errors.size() == inputs.size());
    CHECK(check.max_error() < 1e-7);
  }
  for (int count : {1, 2, 5}) {
    for (int axis : {0, 1, 2, -1}) {
      CAPTURE(count);
      CAPTURE(axis);
      std::vector<Tensor> inputs;
      for (int k = 0; k < count; ++k) inputs.push_back(randn({2, 3}, rng));
      const GradientCheck check =
          check_gradients([&](const std::vector<Var>& in) { return stack(in, axis); }, inputs);
      CHECK(check.errors.size() == inputs.size());
      CHECK(check.max_error() < 1e-7);
    }
  }
}

TEST_CASE("concat of one Var several times accumulates its gradient") {
  Tape tape;
  const Var x = tape.variable(iota({2}));
  const Var joined = concat({x, x, x}, 0);
  CHECK(joined.value().to_vector() == std::vector<double>{0, 1, 0, 1, 0, 1});
  tape.backward(joined, Tensor::from_values({6}, {1, 2, 3, 4, 5, 6}, DType::f64));
  CHECK(x.grad().to_vector() == std::vector<double>{1 + 3 + 5, 2 + 4 + 6});
  const Var stacked = stack({tape.constant(iota({2})), tape.constant(iota({2}))}, 1);
  CHECK(stacked.value().to_vector() == std::vector<double>{0, 0, 1, 1});
  CHECK_THROWS_WITH_AS(concat({}, 0), "concat: needs at least one input, got none", ArgumentError);
}
