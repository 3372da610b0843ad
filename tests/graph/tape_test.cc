#include "graph/tape.h"

#include <doctest/doctest.h>

#include <limits>

#include "graph/errors.h"
#include "ops/layers/relu.h"
#include "ops/math/add.h"
#include "ops/math/mul.h"
#include "ops/reduce/sum.h"

using namespace tg;

namespace {

Tensor vec(std::vector<double> values) {
  const auto n = static_cast<std::int64_t>(values.size());
  return Tensor::from_values({n}, values, DType::f64);
}

}  // namespace

TEST_CASE("A value used several times gets the sum of its gradients (fan-out)") {
  Tape tape;
  Var x = tape.variable(vec({1.0, -2.0, 3.0}));
  Var y = sum(x * x + x);  // dy/dx = 2x + 1
  tape.backward(y);
  CHECK(y.value().item() == doctest::Approx(14.0 + 2.0));
  CHECK(x.grad().to_vector() == std::vector<double>{3.0, -3.0, 7.0});
}

TEST_CASE("A diamond graph: two paths from one input meet again") {
  Tape tape;
  Var a = tape.variable(vec({2.0, -1.0}));
  Var b = relu(a);  // path 1
  Var c = a * a;    // path 2
  Var d = sum(b + c);
  tape.backward(d);
  // d/da = 1[a > 0] + 2a
  CHECK(a.grad().to_vector() == std::vector<double>{5.0, -2.0});
}

TEST_CASE("Constants get no gradient and cost no backward work") {
  Tape tape;
  Var c = tape.constant(vec({1.0, 2.0}));
  Var x = tape.variable(vec({3.0, 4.0}));
  Var only_constants = c * c;
  CHECK_FALSE(c.requires_grad());
  CHECK_FALSE(only_constants.requires_grad());
  Var y = sum(x * c + only_constants);
  CHECK(y.requires_grad());
  tape.backward(y);
  CHECK(x.grad().to_vector() == std::vector<double>{1.0, 2.0});
  CHECK_FALSE(tape.has_grad(c));
  CHECK_THROWS_AS(c.grad(), TapeError);
}

TEST_CASE("A parameter outlives tapes; consecutive tapes accumulate until zero_grad") {
  Parameter w("w", vec({1.0, 2.0}));
  const auto step = [&](double scale) {
    Tape tape;
    Var x = tape.constant(vec({scale, scale}));
    tape.backward(sum(x * w));  // d/dw = x
  };
  step(1.0);
  CHECK(w.grad().to_vector() == std::vector<double>{1.0, 1.0});
  step(2.0);
  CHECK(w.grad().to_vector() == std::vector<double>{3.0, 3.0});
  w.zero_grad();
  step(5.0);
  CHECK(w.grad().to_vector() == std::vector<double>{5.0, 5.0});
}

TEST_CASE("A parameter used twice on one tape is one node with both contributions") {
  Parameter w("w", vec({3.0}));
  Tape tape;
  Var w_on_tape = tape.param(w);
  Var y = sum(w_on_tape * w);  // d/dw = 2w; the second use finds the same node
  tape.backward(y);
  CHECK(w.grad().to_vector() == std::vector<double>{6.0});
  CHECK(w_on_tape.grad().to_vector() == std::vector<double>{6.0});
  CHECK(tape.size() == 3);  // w, w*w, sum
}

TEST_CASE("Gradients are not written into a tensor another node still shares") {
  // add's backward hands the same dout to both inputs; accumulating into one
  // of them later must not change the other.
  Tape tape;
  Var a = tape.variable(vec({1.0}));
  Var b = tape.variable(vec({1.0}));
  Var s = a + b;
  Var y = sum(s + a);  // a: 2, b: 1
  tape.backward(y);
  CHECK(a.grad().to_vector() == std::vector<double>{2.0});
  CHECK(b.grad().to_vector() == std::vector<double>{1.0});
}

TEST_CASE("Mixing values of two tapes is an error") {
  Tape one, two;
  Var a = one.variable(vec({1.0}));
  Var b = two.variable(vec({1.0}));
  CHECK_THROWS_WITH_AS(a + b, doctest::Contains("add: inputs come from two different tapes"),
                       TapeError);
  Parameter p("p", vec({1.0}));
  CHECK_THROWS_WITH_AS(relu(p), doctest::Contains("relu: no input is on a tape"), TapeError);
}

TEST_CASE("backward needs a scalar loss or an explicit upstream gradient, and runs once") {
  Tape tape;
  Var x = tape.variable(vec({1.0, 2.0}));
  Var y = x * x;
  CHECK_THROWS_WITH_AS(tape.backward(y), doctest::Contains("must be a scalar"), TapeError);
  CHECK_THROWS_AS(tape.backward(y, vec({1.0})), TapeError);  // wrong upstream shape
  tape.backward(y, vec({1.0, 1.0}));
  CHECK(x.grad().to_vector() == std::vector<double>{2.0, 4.0});
  CHECK_THROWS_WITH_AS(tape.backward(y, vec({1.0, 1.0})), doctest::Contains("already run"),
                       TapeError);
}

TEST_CASE("Intermediate values do not keep their gradient") {
  Tape tape;
  Var x = tape.variable(vec({1.0}));
  Var h = x * x;
  tape.backward(sum(h));
  CHECK_THROWS_WITH_AS(h.grad(), doctest::Contains("intermediate"), TapeError);
}

TEST_CASE("backward from a value that depends on nothing trainable is an error") {
  Tape tape;
  Var c = tape.constant(vec({1.0}));
  CHECK_THROWS_WITH_AS(tape.backward(sum(c)), doctest::Contains("does not depend"), TapeError);
}

TEST_CASE("An inference tape records values but no closures") {
  Tape tape(Tape::inference());
  Parameter w("w", vec({2.0}));
  Var x = tape.variable(vec({3.0}));
  Var y = sum(x * w);
  CHECK(y.value().item() == 6.0);
  CHECK_FALSE(y.requires_grad());
  CHECK_THROWS_AS(tape.backward(y), TapeError);
}

TEST_CASE("detect_anomaly names the first op with a non-finite output") {
  Tape::Options options;
  options.detect_anomaly = true;
  Tape tape(options);
  Var x = tape.variable(vec({1.0, std::numeric_limits<double>::max()}));
  Var finite = x * tape.constant(vec({2.0, 0.5}));
  CHECK(finite.value().to_vector()[0] == 2.0);
  // max + max overflows to infinity in the second element.
  CHECK_THROWS_WITH_AS(x + x, doctest::Contains("op 'add'"), NumericError);
}

TEST_CASE("on_parameter_grad: called once per parameter, when its gradient is complete") {
  Parameter w("w", Tensor::from_values({2}, {1, 2}));
  Parameter b("b", Tensor::from_values({2}, {3, 4}));
  std::vector<std::pair<std::string, std::vector<float>>> calls;
  Tape::Options options;
  options.on_parameter_grad = [&](const Parameter& p) {
    calls.push_back({p.name(), {p.grad().data<float>()[0], p.grad().data<float>()[1]}});
  };
  Tape tape(options);
  const Var pw = tape.param(w), pb = tape.param(b);
  // w is used twice (fan-out): its gradient 2 * w + b comes in two parts.
  tape.backward(sum(pw * pw + pw * pb));
  REQUIRE(calls.size() == 2);
  for (const auto& [name, grad] : calls) {
    if (name == "w") CHECK(grad == std::vector<float>{5, 8});  // 2w + b
    if (name == "b") CHECK(grad == std::vector<float>{1, 2});  // w
  }
  CHECK(calls[0].first != calls[1].first);
}
