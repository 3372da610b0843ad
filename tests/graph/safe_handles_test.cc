// Handles that cannot silently go wrong: Vars that outlive their tape,
// tensors changed in place between forward and backward, op names that
// outlive the strings they came from.
#include <doctest/doctest.h>

#include <string>
#include <type_traits>

#include "graph/errors.h"
#include "graph/op.h"
#include "graph/tape.h"
#include "ops/layers/relu.h"
#include "ops/math/add.h"
#include "ops/math/mul.h"
#include "ops/reduce/sum.h"
#include "optim/optimizer.h"

using namespace tg;

namespace {

Tensor vec(std::vector<double> values) {
  const auto n = static_cast<std::int64_t>(values.size());
  return Tensor::from_values({n}, values, DType::f64);
}

// y = x * 2 under any name; the closure saves nothing.
Var twice(const Var& x, OpName name) {
  Op op(name, {x});
  return op.finish(op.input(0).clone().scale_(2.0), [](const Tensor& dout, InputGrads& grads) {
    grads.add(0, dout.clone().scale_(2.0));
  });
}

}  // namespace

TEST_CASE("A Var used after its tape is destroyed throws TapeError naming the accessor") {
  Var x, y;
  {
    Tape tape;
    x = tape.variable(vec({1.0, -2.0}));
    y = relu(x);
    tape.backward(sum(y));
    CHECK(x.grad().to_vector() == std::vector<double>{1.0, 0.0});
  }
  CHECK(y.on_tape());
  CHECK_THROWS_WITH_AS(y.value(),
                       "Var::value: the tape of this value was destroyed; a Var must not outlive "
                       "its Tape",
                       TapeError);
  CHECK_THROWS_WITH_AS(y.shape(), doctest::Contains("Var::shape: the tape"), TapeError);
  CHECK_THROWS_WITH_AS(y.dtype(), doctest::Contains("Var::dtype: the tape"), TapeError);
  CHECK_THROWS_WITH_AS(x.grad(), doctest::Contains("Var::grad: the tape"), TapeError);
  CHECK_THROWS_WITH_AS(x.requires_grad(), doctest::Contains("Var::requires_grad: the tape"),
                       TapeError);
  CHECK_THROWS_WITH_AS(x.tape(), doctest::Contains("Var::tape: the tape"), TapeError);
  // As an op input, the error names the op and the input.
  CHECK_THROWS_WITH_AS(relu(y),
                       "relu: input 0 belongs to a tape that was destroyed; a Var must not "
                       "outlive its Tape",
                       TapeError);
  Tape other;
  Var z = other.variable(vec({1.0, 1.0}));
  CHECK_THROWS_WITH_AS(
      z + y, doctest::Contains("add: input 1 belongs to a tape that was destroyed"), TapeError);
  CHECK_THROWS_WITH_AS(other.value(y),
                       doctest::Contains("Tape::value: the value belongs to a tape that was "
                                         "destroyed"),
                       TapeError);
  // Copies and assignments of dead Vars stay safe (the link block is freed
  // by the last holder, checked under ASan).
  Var copy = y;
  y = Var();
  x = copy;
  CHECK_THROWS_AS(x.value(), TapeError);
}

TEST_CASE("A tape destroyed before or after its Vars, in any order, leaks nothing") {
  auto tape = std::make_unique<Tape>();
  std::vector<Var> vars;
  vars.push_back(tape->variable(vec({1.0})));
  for (int i = 0; i < 5; ++i) vars.push_back(relu(vars.back()));
  vars.erase(vars.begin() + 2);
  tape.reset();
  vars.erase(vars.begin());
  CHECK_THROWS_AS(vars.back().value(), TapeError);
}

TEST_CASE("A tensor changed in place after it was recorded makes backward throw, naming the op") {
  SUBCASE("add_ on an input") {
    Tape tape;
    Tensor x_value = vec({1.0, -2.0});
    Var x = tape.variable(x_value);  // shares x_value's storage
    Var loss = sum(relu(x));
    x_value.add_(vec({1.0, 1.0}));
    CHECK_THROWS_WITH_AS(
        tape.backward(loss),
        "backward of 'relu' (node 1): input 0 was modified in place after it was recorded "
        "(version 1, expected 0); an in-place update (add_, copy_, an optimizer step) before "
        "backward() invalidates the saved values",
        TapeError);
  }
  SUBCASE("copy_ into an op's output, through a reshaped view") {
    Tape tape;
    Var x = tape.variable(vec({1.0, -2.0}));
    Var y = x * x;
    Var loss = sum(y);
    Tensor view = y.value().reshape({2, 1});
    view.copy_(Tensor::zeros({2, 1}, DType::f64));
    CHECK_THROWS_WITH_AS(tape.backward(loss),
                         doctest::Contains("backward of 'sum' (node 2): input 0 was modified in "
                                           "place after it was recorded (version 1, expected 0)"),
                         TapeError);
  }
  SUBCASE("fill_ and scale_ and mark_modified() likewise") {
    for (int how = 0; how < 3; ++how) {
      CAPTURE(how);
      Tape tape;
      Tensor w_value = vec({3.0});
      Var w = tape.variable(w_value);
      Var loss = sum(w * w);
      if (how == 0) w_value.fill_(1.0);
      if (how == 1) w_value.scale_(1.0);  // even an update that changes no value
      if (how == 2) {
        w_value.data<double>()[0] = 4.0;
        w_value.mark_modified();
      }
      CHECK_THROWS_WITH_AS(tape.backward(loss), doctest::Contains("backward of 'mul'"), TapeError);
    }
  }
  SUBCASE("an output of a multi-output op") {
    Tape tape;
    Var x = tape.variable(vec({1.0, 2.0}));
    Op op("pair", {x});
    const std::vector<Var> out = op.finish({op.input(0).clone(), op.input(0).clone()},
                                           [](const OutputGrads& douts, InputGrads& grads) {
                                             if (douts.defined(0)) grads.add(0, douts[0]);
                                             if (douts.defined(1)) grads.add(0, douts[1]);
                                           });
    Tensor second = out[1].value();
    Var loss = sum(out[0]);  // the changed output is not even used by the loss
    second.fill_(0.0);
    CHECK_THROWS_WITH_AS(tape.backward(loss),
                         doctest::Contains("backward of 'pair' (node 1): output 1 was modified"),
                         TapeError);
  }
  SUBCASE("changes before recording, or to copies, are fine") {
    Tape tape;
    Tensor x_value = vec({1.0, -2.0});
    x_value.add_(vec({1.0, 1.0}));  // before the tape saw it
    Var x = tape.variable(x_value);
    Var loss = sum(relu(x) * x);
    Tensor copy = x_value.clone();
    copy.add_(vec({5.0, 5.0}));  // other storage
    tape.backward(loss);
    CHECK(x.grad().to_vector() == std::vector<double>{4.0, 0.0});
  }
}

TEST_CASE("An optimizer step between forward and backward makes backward throw") {
  Parameter w("w", vec({1.0, 2.0}));
  Tape tape;
  Var x = tape.constant(vec({3.0, 4.0}));
  Var loss = sum(x * w);
  const auto sgd = make_optimizer("sgd");
  sgd->step({w});
  CHECK_THROWS_WITH_AS(tape.backward(loss),
                       doctest::Contains("backward of 'mul' (node 2): input 1 was modified in "
                                         "place after it was recorded"),
                       TapeError);
  // The usual loop, forward, backward, step, on a new tape each time, is fine.
  for (int step = 0; step < 2; ++step) {
    w.zero_grad();
    Tape fresh;
    fresh.backward(sum(fresh.constant(vec({3.0, 4.0})) * w));
    sgd->step({w});
  }
  CHECK(w.value().to_vector()[0] == doctest::Approx(1.0 - 2 * 0.01 * 3.0));
}

TEST_CASE("An op name from a temporary string outlives the string") {
  static_assert(!std::is_constructible_v<OpName, const char*>,
                "a char pointer does not say how long its characters live");
  static_assert(!std::is_constructible_v<OpName, std::string_view>);
  static_assert(!std::is_constructible_v<OpName, char(&)[8]>, "a buffer may be rewritten");
  static_assert(std::is_constructible_v<OpName, const char(&)[8]>);
  static_assert(std::is_constructible_v<OpName, std::string>);
  static_assert(sizeof(OpName) == sizeof(std::string_view), "a literal name costs a string_view");

  Tape tape;
  Var x = tape.variable(vec({1.0}));
  Var y;
  {
    // Longer than any small-string buffer: the characters live on the heap
    // and are freed at the end of this block.
    std::string name = "a_rather_long_op_name_";
    name += "built_at_run_time";
    y = twice(x, name);
  }
  std::string clobber(64, 'x');  // reuse the freed memory, if any
  tape.backward(sum(y));
  CHECK_THROWS_WITH_AS(y.grad(),
                       "Tape::grad: node 1 ('a_rather_long_op_name_built_at_run_time') is an "
                       "intermediate value; only variables and parameters keep their gradient",
                       TapeError);
  // One pooled copy per distinct name.
  const OpName a = OpName::intern("pooled_name");
  const OpName b(std::string("pooled_") + "name");
  CHECK(a.view() == "pooled_name");
  CHECK(a.view().data() == b.view().data());
  CHECK(fmt::format("{}", a) == "pooled_name");
}
