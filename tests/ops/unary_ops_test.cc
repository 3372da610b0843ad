// The elementwise unary primitives: exp, log, sqrt, pow, tanh, sigmoid,
// leaky_relu, gelu.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "ops/math/exp.h"
#include "ops/math/gelu.h"
#include "ops/math/leaky_relu.h"
#include "ops/math/log.h"
#include "ops/math/pow.h"
#include "ops/math/sigmoid.h"
#include "ops/math/sqrt.h"
#include "ops/math/tanh.h"
#include "ops/reduce/sum.h"
#include "tests/support/check_grads.h"

using namespace tg;
using tg::testing::randn;
using tg::testing::require_close;

namespace {

struct UnaryCase {
  std::string name;
  std::function<Var(const Var&)> op;
  std::function<double(double)> reference;  // in long double where it matters
  bool positive_inputs;                     // log, sqrt, pow
};

double erf_gelu(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }
double tanh_gelu(double x) {
  const double pi = 3.14159265358979323846;
  return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / pi) * (x + 0.044715 * x * x * x)));
}

const std::vector<UnaryCase> kCases = {
    {"exp", [](const Var& x) { return exp(x); }, [](double x) { return std::exp(x); }, false},
    {"log", [](const Var& x) { return log(x); }, [](double x) { return std::log(x); }, true},
    {"sqrt", [](const Var& x) { return sqrt(x); }, [](double x) { return std::sqrt(x); }, true},
    {"pow 3", [](const Var& x) { return pow(x, 3.0); }, [](double x) { return x * x * x; }, true},
    {"pow -1", [](const Var& x) { return pow(x, -1.0); }, [](double x) { return 1 / x; }, true},
    {"pow 1.5", [](const Var& x) { return pow(x, 1.5); }, [](double x) { return x * std::sqrt(x); },
     true},
    {"tanh", [](const Var& x) { return tanh(x); },
     [](double x) { return static_cast<double>(std::tanh(static_cast<long double>(x))); }, false},
    {"sigmoid", [](const Var& x) { return sigmoid(x); },
     [](double x) {
       return static_cast<double>(1.0L / (1.0L + std::exp(-static_cast<long double>(x))));
     },
     false},
    {"leaky_relu", [](const Var& x) { return leaky_relu(x, 0.1); },
     [](double x) { return x > 0 ? x : 0.1 * x; }, false},
    {"leaky_relu default", [](const Var& x) { return leaky_relu(x); },
     [](double x) { return x > 0 ? x : 0.01 * x; }, false},
    {"gelu", [](const Var& x) { return gelu(x); }, erf_gelu, false},
    {"gelu tanh", [](const Var& x) { return gelu(x, GeluApproximation::tanh); }, tanh_gelu, false},
};

Tensor inputs_for(const UnaryCase& c, const Shape& shape, Rng& rng) {
  return c.positive_inputs ? Tensor::uniform(shape, rng, 0.3, 3.0, DType::f64)
                           : randn(shape, rng, 0.0, 1.5);
}

}  // namespace

TEST_CASE("unary ops: forward equals the scalar formula, float64 and float32") {
  Rng rng(1);
  for (const UnaryCase& c : kCases) {
    CAPTURE(c.name);
    const Tensor x = inputs_for(c, {3, 7}, rng);
    Tape tape;
    const std::vector<double> got = c.op(tape.constant(x)).value().to_vector();
    const std::vector<double> got32 = c.op(tape.constant(x.to(DType::f32))).value().to_vector();
    const std::vector<double> in = x.to_vector();
    for (std::size_t i = 0; i < in.size(); ++i) {
      CAPTURE(in[i]);
      const double expected = c.reference(in[i]);
      CHECK(std::abs(got[i] - expected) <= 1e-15 * std::max(1.0, std::abs(expected)));
      CHECK(std::abs(got32[i] - expected) <= 1e-6 * std::max(1.0, std::abs(expected)));
    }
  }
}

TEST_CASE("unary ops: gradients, with N = 1, size-1 axes and a scalar") {
  Rng rng(2);
  for (const UnaryCase& c : kCases) {
    for (const Shape& shape : {Shape{4, 5}, Shape{1, 6}, Shape{2, 1, 3}, Shape{}}) {
      CAPTURE(c.name);
      CAPTURE(shape.str());
      const auto op = c.op;
      require_close(check_gradients([&](const std::vector<Var>& in) { return op(in[0]); },
                                    {inputs_for(c, shape, rng)}),
                    {"x"}, 1e-7);
    }
  }
}

TEST_CASE("gelu at known points (the erf and tanh formulas, evaluated in Python)") {
  const Tensor x = Tensor::from_values({4}, {-2, -0.5, 1, 3}, DType::f64);
  const std::vector<double> exact = gelu_forward(x).to_vector();
  CHECK(exact[0] == doctest::Approx(-0.04550026389635842).epsilon(1e-14));
  CHECK(exact[1] == doctest::Approx(-0.15426876936299344).epsilon(1e-14));
  CHECK(exact[2] == doctest::Approx(0.8413447460685429).epsilon(1e-14));
  CHECK(exact[3] == doctest::Approx(2.99595030590511).epsilon(1e-14));
  const std::vector<double> approx = gelu_forward(x, GeluApproximation::tanh).to_vector();
  CHECK(approx[0] == doctest::Approx(-0.04540230591222).epsilon(1e-12));
  CHECK(approx[2] == doctest::Approx(0.8411919906082768).epsilon(1e-14));
}

TEST_CASE("sigmoid and exp saturate without NaN") {
  const Tensor x = Tensor::from_values({4}, {-1000, -40, 40, 1000}, DType::f64);
  const std::vector<double> s = sigmoid_forward(x).to_vector();
  CHECK(s[0] == 0.0);
  CHECK(s[1] == doctest::Approx(std::exp(-40.0)).epsilon(1e-12));
  CHECK(s[2] == 1.0);
  CHECK(s[3] == 1.0);
  const std::vector<double> ds =
      sigmoid_backward(Tensor::ones({4}, DType::f64), sigmoid_forward(x)).to_vector();
  for (double d : ds) CHECK(std::isfinite(d));
  CHECK(std::isinf(exp_forward(x).to_vector()[3]));
}

TEST_CASE("pow: integer exponents of negative numbers, exponent 0 and 2") {
  const Tensor x = Tensor::from_values({3}, {-2, 0, 3}, DType::f64);
  CHECK(pow_forward(x, 3).to_vector() == std::vector<double>{-8, 0, 27});
  CHECK(pow_forward(x, 0).to_vector() == std::vector<double>{1, 1, 1});
  const Tensor ones = Tensor::ones({3}, DType::f64);
  // d/dx x^0 = 0 everywhere, also at x = 0 (not 0 * 0^-1).
  CHECK(pow_backward(ones, x, 0).to_vector() == std::vector<double>{0, 0, 0});
  CHECK(pow_backward(ones, x, 2).to_vector() == std::vector<double>{-4, 0, 6});
  CHECK(std::isnan(pow_forward(x, 0.5).to_vector()[0]));  // as NumPy
  CHECK(std::isnan(log_forward(x).to_vector()[0]));
  CHECK(std::isinf(log_forward(x).to_vector()[1]));
}

TEST_CASE("leaky_relu: the gradient is 1 above zero and the slope below") {
  Tape tape;
  const Var x = tape.variable(Tensor::from_values({4}, {-3, -0.5, 0.5, 2}, DType::f64));
  const Var y = leaky_relu(x, 0.2);
  CHECK(y.value().to_vector() == std::vector<double>{-0.6000000000000001, -0.1, 0.5, 2});
  tape.backward(sum(y));
  CHECK(x.grad().to_vector() == std::vector<double>{0.2, 0.2, 1, 1});
}

TEST_CASE("unary ops record their names and reject bad constants") {
  Tape tape;
  const Var x = tape.constant(Tensor::ones({2}));
  Tape::Options options;
  options.detect_anomaly = true;
  Tape strict(options);
  CHECK_THROWS_WITH_AS(log(strict.constant(Tensor::zeros({2}))), doctest::Contains("op 'log'"),
                       NumericError);
  CHECK_THROWS_WITH_AS(pow(x, std::numeric_limits<double>::infinity()),
                       "pow: the exponent must be finite, got inf", ArgumentError);
  CHECK_THROWS_WITH_AS(leaky_relu(x, std::nan("")), "leaky_relu: slope must be finite, got nan",
                       ArgumentError);
}
