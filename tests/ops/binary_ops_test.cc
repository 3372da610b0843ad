// add, sub, mul, div with NumPy broadcasting, the broadcasting helper
// (ops/kernels/broadcast.h) and the Var-with-number operators.
#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <functional>
#include <vector>

#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "ops/kernels/broadcast.h"
#include "ops/math/add.h"
#include "ops/math/div.h"
#include "ops/math/mul.h"
#include "ops/math/scale.h"
#include "ops/math/sub.h"
#include "ops/reduce/sum.h"
#include "tests/support/check_grads.h"

using namespace tg;
using tg::testing::randn;
using tg::testing::require_close;

namespace {

struct ShapePair {
  Shape a, b;
};

// Scalar, row, per-channel and two-sided broadcasts, each way round, with
// N = 1 and size-1 axes; the last pair needs no broadcasting.
const std::vector<ShapePair> kPairs = {
    {{}, {2, 3}},
    {{2, 3}, {}},
    {{4, 5}, {5}},
    {{5}, {4, 5}},
    {{2, 3, 4, 5}, {1, 3, 1, 1}},
    {{1, 3, 1, 1}, {2, 3, 4, 5}},
    {{4, 1}, {1, 5}},
    {{3, 1, 5}, {4, 1}},
    {{1, 6}, {6}},
    {{1, 1}, {1}},
    {{2, 1, 3}, {2, 4, 1}},
    {{2, 3}, {2, 3}},
};

// The element of `t` that broadcasting reads for output index `index`.
double broadcast_read(const Tensor& t, const std::vector<double>& values,
                      const std::vector<std::int64_t>& index) {
  const int missing = static_cast<int>(index.size()) - t.rank();
  std::int64_t offset = 0;
  for (int k = 0; k < t.rank(); ++k) {
    const std::int64_t i = t.shape()[k] == 1 ? 0 : index[k + missing];
    offset = offset * t.shape()[k] + i;
  }
  return values[offset];
}

// f over the broadcast shape, one element at a time (the reference).
std::vector<double> naive_binary(const Tensor& a, const Tensor& b,
                                 const std::function<double(double, double)>& f) {
  const Shape out = broadcast_shape("test", "a", a.shape(), "b", b.shape());
  const std::vector<double> va = a.to_vector(), vb = b.to_vector();
  std::vector<double> result;
  std::vector<std::int64_t> index(out.rank(), 0);
  for (std::int64_t flat = 0; flat < out.numel(); ++flat) {
    std::int64_t rest = flat;
    for (int k = out.rank() - 1; k >= 0; --k) {
      index[k] = rest % out[k];
      rest /= out[k];
    }
    result.push_back(f(broadcast_read(a, va, index), broadcast_read(b, vb, index)));
  }
  return result;
}

void check_values(const Tensor& t, const std::vector<double>& expected, double tolerance = 0) {
  const std::vector<double> got = t.to_vector();
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(std::abs(got[i] - expected[i]) <= tolerance * std::abs(expected[i]));
  }
}

using BinaryOp = std::function<Var(const Var&, const Var&)>;

struct NamedOp {
  const char* name;
  BinaryOp op;
  std::function<double(double, double)> reference;
};

const std::vector<NamedOp> kOps = {
    {"add", [](const Var& a, const Var& b) { return a + b; },
     [](double x, double y) { return x + y; }},
    {"sub", [](const Var& a, const Var& b) { return a - b; },
     [](double x, double y) { return x - y; }},
    {"mul", [](const Var& a, const Var& b) { return a * b; },
     [](double x, double y) { return x * y; }},
    {"div", [](const Var& a, const Var& b) { return a / b; },
     [](double x, double y) { return x / y; }},
};

// Divisors kept away from zero so the quotient is well conditioned.
Tensor operand(const Shape& shape, Rng& rng, bool divisor) {
  return divisor ? Tensor::uniform(shape, rng, 0.5, 2.0, DType::f64) : randn(shape, rng);
}

}  // namespace

TEST_CASE("broadcast_shape follows NumPy") {
  CHECK(broadcast_shape("t", "a", {2, 3}, "b", {3}) == Shape{2, 3});
  CHECK(broadcast_shape("t", "a", {}, "b", {4, 1}) == Shape{4, 1});
  CHECK(broadcast_shape("t", "a", {4, 1}, "b", {1, 5}) == Shape{4, 5});
  CHECK(broadcast_shape("t", "a", {2, 3, 4, 5}, "b", {1, 3, 1, 1}) == Shape{2, 3, 4, 5});
  CHECK(broadcast_shape("t", "a", {3, 1, 5}, "b", {4, 1}) == Shape{3, 4, 5});
  CHECK_THROWS_WITH_AS(broadcast_shape("add", "a", {2, 3}, "b", {3, 2}),
                       "add: b must broadcast with a (2,3), got (3,2) (axis -1: 3 vs 2)",
                       ArgumentError);
}

TEST_CASE("plan_broadcast merges axes into the common layouts") {
  const BroadcastPlan same = plan_broadcast("t", "a", {2, 3, 4}, "b", {2, 3, 4});
  CHECK(same.rank == 1);
  CHECK(same.dims[0] == 24);
  const BroadcastPlan row = plan_broadcast("t", "a", {6, 5}, "b", {5});
  CHECK(row.rank == 2);
  CHECK(row.b_strides[0] == 0);
  CHECK(row.b_strides[1] == 1);
  const BroadcastPlan channel = plan_broadcast("t", "a", {2, 3, 4, 5}, "b", {1, 3, 1, 1});
  REQUIRE(channel.rank == 3);
  CHECK(channel.dims[0] == 2);
  CHECK(channel.dims[1] == 3);
  CHECK(channel.dims[2] == 20);
  CHECK(channel.b_strides[1] == 1);
  CHECK(channel.b_strides[2] == 0);
  const BroadcastPlan scalar = plan_broadcast("t", "a", {}, "b", {3, 4});
  CHECK(scalar.rank == 1);
  CHECK(scalar.a_strides[0] == 0);
}

TEST_CASE("add, sub, mul, div: forward equals the element-by-element reference") {
  Rng rng(1);
  for (const NamedOp& named : kOps) {
    for (const ShapePair& pair : kPairs) {
      CAPTURE(named.name);
      CAPTURE(pair.a.str());
      CAPTURE(pair.b.str());
      const bool is_div = std::string(named.name) == "div";
      const Tensor a = operand(pair.a, rng, false), b = operand(pair.b, rng, is_div);
      Tape tape;
      const Var out = named.op(tape.constant(a), tape.constant(b));
      CHECK(out.shape() == broadcast_shape("t", "a", pair.a, "b", pair.b));
      check_values(out.value(), naive_binary(a, b, named.reference));
    }
  }
}

TEST_CASE("add, sub, mul, div: gradients of broadcast inputs are summed back") {
  Rng rng(2);
  for (const NamedOp& named : kOps) {
    for (const ShapePair& pair : kPairs) {
      CAPTURE(named.name);
      CAPTURE(pair.a.str());
      CAPTURE(pair.b.str());
      const bool is_div = std::string(named.name) == "div";
      const BinaryOp op = named.op;
      require_close(check_gradients([&](const std::vector<Var>& in) { return op(in[0], in[1]); },
                                    {operand(pair.a, rng, false), operand(pair.b, rng, is_div)}),
                    {"a", "b"}, 1e-7);
    }
  }
}

TEST_CASE("the same Var on both sides gets both contributions") {
  Tape tape;
  const Var x = tape.variable(Tensor::from_values({3}, {1, 2, 3}, DType::f64));
  tape.backward(sum(x * x - x / x));  // d/dx = 2x - 0
  for (std::int64_t i = 0; i < 3; ++i) {
    CHECK(x.grad().at<double>(i) == doctest::Approx(2.0 * (i + 1)).epsilon(1e-15));
  }
}

TEST_CASE("sum_to_shape sums the broadcast axes") {
  const Tensor t = Tensor::from_values({2, 3}, {1, 2, 3, 4, 5, 6}, DType::f64);
  CHECK(sum_to_shape(t, {3}).to_vector() == std::vector<double>{5, 7, 9});
  CHECK(sum_to_shape(t, {1, 3}).to_vector() == std::vector<double>{5, 7, 9});
  CHECK(sum_to_shape(t, {2, 1}).to_vector() == std::vector<double>{6, 15});
  CHECK(sum_to_shape(t, {}).to_vector() == std::vector<double>{21});
  CHECK(sum_to_shape(t, {2, 3}).shares_storage_with(t));
  // (N,C,H,W) -> (1,C,1,1): per-channel sums
  Rng rng(3);
  const Tensor x = randn({2, 3, 4, 5}, rng);
  const Tensor summed = sum_to_shape(x, {1, 3, 1, 1});
  for (std::int64_t c = 0; c < 3; ++c) {
    double expected = 0;
    for (std::int64_t n = 0; n < 2; ++n)
      for (std::int64_t h = 0; h < 4; ++h)
        for (std::int64_t w = 0; w < 5; ++w) expected += x.at<double>(n, c, h, w);
    CHECK(summed.at<double>(0, c, 0, 0) == doctest::Approx(expected).epsilon(1e-14));
  }
  // (2,3,4) -> (3,1): a leading axis dropped and a trailing one kept as 1.
  const Tensor y = randn({2, 3, 4}, rng);
  const Tensor ys = sum_to_shape(y, {3, 1});
  for (std::int64_t j = 0; j < 3; ++j) {
    double expected = 0;
    for (std::int64_t i = 0; i < 2; ++i)
      for (std::int64_t k = 0; k < 4; ++k) expected += y.at<double>(i, j, k);
    CHECK(ys.at<double>(j, 0) == doctest::Approx(expected).epsilon(1e-14));
  }
  CHECK_THROWS_AS(sum_to_shape(t, {4}), ArgumentError);
}

TEST_CASE("broadcast_to copies a tensor out to a larger shape") {
  const Tensor row = Tensor::from_values({3}, {1, 2, 3}, DType::f64);
  CHECK(broadcast_to("t", row, {2, 3}).to_vector() == std::vector<double>{1, 2, 3, 1, 2, 3});
  const Tensor column = Tensor::from_values({2, 1}, {1, 2}, DType::f64);
  CHECK(broadcast_to("t", column, {2, 3}).to_vector() == std::vector<double>{1, 1, 1, 2, 2, 2});
  CHECK_THROWS_WITH_AS(broadcast_to("where", row, {3, 1}),
                       "where: the input (3) cannot be broadcast to (3,1) (the result would be "
                       "(3,3))",
                       ArgumentError);
}

TEST_CASE("large broadcasts and reductions do not depend on the number of threads") {
  Rng rng(4);
  const Tensor x = Tensor::randn({64, 32, 20, 20}, rng);
  const Tensor scale = Tensor::randn({1, 32, 1, 1}, rng);
  const Tensor bias = Tensor::randn({20}, rng);
  const auto run = [&](int threads) {
    const int before = omp_get_max_threads();
    omp_set_num_threads(threads);
    std::vector<Tensor> results = {
        mul_forward(x, scale).out, add_forward(x, bias), sum_to_shape(x, {1, 32, 1, 1}),
        sum_to_shape(x, {20}),     sum_to_shape(x, {}),  sum_to_shape(x, {64, 1, 20, 1})};
    omp_set_num_threads(before);
    return results;
  };
  const std::vector<Tensor> one = run(1), two = run(2), three = run(3);
  for (std::size_t i = 0; i < one.size(); ++i) {
    CAPTURE(i);
    CHECK(one[i].to_vector() == two[i].to_vector());
    CHECK(one[i].to_vector() == three[i].to_vector());
  }
  // Sums are accumulated in double: float32 per-channel sums match a double
  // reference to float precision.
  const Tensor channel_sums = one[2];
  const std::vector<double> values = x.to_vector();
  for (std::int64_t c = 0; c < 32; c += 7) {
    double expected = 0;
    for (std::int64_t n = 0; n < 64; ++n)
      for (std::int64_t i = 0; i < 400; ++i) expected += values[(n * 32 + c) * 400 + i];
    CHECK(channel_sums.at<float>(0, c, 0, 0) == doctest::Approx(expected).epsilon(1e-5));
  }
}

TEST_CASE("Var with a number: x + c, c + x, x - c, c - x, x * c, c * x, x / c, c / x, -x") {
  Tape tape;
  const Var x = tape.variable(Tensor::from_values({2}, {2, 4}, DType::f64));
  CHECK((x + 1.0).value().to_vector() == std::vector<double>{3, 5});
  CHECK((1.0 + x).value().to_vector() == std::vector<double>{3, 5});
  CHECK((x - 1.0).value().to_vector() == std::vector<double>{1, 3});
  CHECK((1.0 - x).value().to_vector() == std::vector<double>{-1, -3});
  CHECK((x * 3.0).value().to_vector() == std::vector<double>{6, 12});
  CHECK((3.0 * x).value().to_vector() == std::vector<double>{6, 12});
  CHECK((x / 4.0).value().to_vector() == std::vector<double>{0.5, 1});
  CHECK((8.0 / x).value().to_vector() == std::vector<double>{4, 2});
  CHECK((-x).value().to_vector() == std::vector<double>{-2, -4});
  CHECK(scale(x, 0.5).value().to_vector() == std::vector<double>{1, 2});
  // The sum of the ten expressions above: d/dx = 1+1+1-1+3+3+1/4-8/x^2-1+0.5
  const Var total = sum(x + 1.0) + sum(1.0 + x) + sum(x - 1.0) + sum(1.0 - x) + sum(x * 3.0) +
                    sum(3.0 * x) + sum(x / 4.0) + sum(8.0 / x) + sum(-x) + sum(scale(x, 0.5));
  tape.backward(total);
  CHECK(x.grad().at<double>(0) == doctest::Approx(7.75 - 8.0 / 4));
  CHECK(x.grad().at<double>(1) == doctest::Approx(7.75 - 8.0 / 16));
}

TEST_CASE("scale and neg: gradients, float32 kept") {
  Rng rng(5);
  for (const Shape& shape : {Shape{3, 4}, Shape{1, 5}, Shape{}}) {
    CAPTURE(shape.str());
    require_close(check_gradients([](const std::vector<Var>& in) { return scale(in[0], -2.5); },
                                  {randn(shape, rng)}),
                  {"x"}, 1e-7);
    require_close(
        check_gradients([](const std::vector<Var>& in) { return neg(in[0]); }, {randn(shape, rng)}),
        {"x"}, 1e-7);
  }
  const Tensor x32 = Tensor::from_values({2}, {1.5, -2}, DType::f32);
  const Tensor scaled = scale_forward(x32, 2.0);
  CHECK(scaled.dtype() == DType::f32);
  CHECK(scaled.to_vector() == std::vector<double>{3, -4});
}
