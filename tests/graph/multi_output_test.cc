// Ops of any arity and with several outputs: recording, backward order,
// unused outputs, and gradient checks through check_gradients.
#include <doctest/doctest.h>

#include <functional>

#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/op.h"
#include "graph/rng.h"
#include "ops/layers/relu.h"
#include "ops/math/add.h"
#include "ops/math/mul.h"
#include "ops/reduce/sum.h"
#include "tests/support/check_grads.h"

using namespace tg;
using tg::testing::require_close;

namespace {

Tensor vec(std::vector<double> values) {
  const auto n = static_cast<std::int64_t>(values.size());
  return Tensor::from_values({n}, values, DType::f64);
}

// out[i] = f(in0[i], in1[i], ...) over float64 tensors of one shape.
Tensor elementwise(const std::vector<Tensor>& in,
                   const std::function<double(const std::vector<double>&)>& f) {
  Tensor out = Tensor::empty(in[0].shape(), DType::f64);
  std::vector<double> args(in.size());
  for (std::int64_t i = 0; i < out.numel(); ++i) {
    for (std::size_t k = 0; k < in.size(); ++k) args[k] = in[k].data<double>()[i];
    out.data<double>()[i] = f(args);
  }
  return out;
}

// A cell with six inputs and two outputs, like an LSTM step in miniature:
//   c' = f * c + i * g     (f, c, i, g: four of the inputs)
//   h' = tanh(c') * o + b
struct CellStats {
  int backward_calls = 0;
  bool saw_dc = false;  // was douts[0] defined when the closure ran?
  bool saw_dh = false;
};

std::vector<Var> cell(const Var& f, const Var& c, const Var& i, const Var& g, const Var& o,
                      const Var& b, CellStats* stats = nullptr) {
  Op op("cell", {f, c, i, g, o, b});
  std::vector<Tensor> in;
  for (int k = 0; k < op.num_inputs(); ++k) in.push_back(op.input(k));
  Tensor c_next = elementwise(in, [](const auto& v) { return v[0] * v[1] + v[2] * v[3]; });
  Tensor h_next = elementwise({c_next, in[4], in[5]},
                              [](const auto& v) { return std::tanh(v[0]) * v[1] + v[2]; });
  return op.finish(
      {c_next, h_next}, [in, c_next, stats](const OutputGrads& douts, InputGrads& grads) {
        if (stats != nullptr) {
          ++stats->backward_calls;
          stats->saw_dc = douts.defined(0);
          stats->saw_dh = douts.defined(1);
        }
        REQUIRE(douts.size() == 2);
        // dc' = dc_out + dh * o * (1 - tanh(c')^2), each term only when the loss
        // uses that output.
        Tensor dc = douts.defined(0) ? douts[0].clone() : Tensor::zeros(c_next.shape(), DType::f64);
        if (douts.defined(1)) {
          const Tensor& dh = douts[1];
          dc.add_(elementwise({dh, in[4], c_next}, [](const auto& v) {
            const double t = std::tanh(v[2]);
            return v[0] * v[1] * (1 - t * t);
          }));
          if (grads.wants(4)) {
            grads.add(
                4, elementwise({dh, c_next}, [](const auto& v) { return v[0] * std::tanh(v[1]); }));
          }
          grads.add(5, dh);
        }
        const auto times = [](const auto& v) { return v[0] * v[1]; };
        grads.add(0, elementwise({dc, in[1]}, times));
        grads.add(1, elementwise({dc, in[0]}, times));
        grads.add(2, elementwise({dc, in[3]}, times));
        grads.add(3, elementwise({dc, in[2]}, times));
      });
}

// The numerical gradient of sum(f(inputs)) with respect to inputs[k].
Tensor numeric_gradient(const std::function<Var(const std::vector<Var>&)>& f,
                        const std::vector<Tensor>& inputs, std::size_t k) {
  std::vector<Tensor> point;
  for (const Tensor& t : inputs) point.push_back(t.clone());
  return eval_numerical_gradient(
      [&](const Tensor&) {
        Tape eval(Tape::inference());
        std::vector<Var> args;
        for (const Tensor& t : point) args.push_back(eval.constant(t));
        return sum(f(args)).value().item();
      },
      point[k]);
}

std::vector<Tensor> random_inputs(const Shape& shape, int count, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<Tensor> inputs;
  for (int k = 0; k < count; ++k) inputs.push_back(testing::randn(shape, rng));
  return inputs;
}

}  // namespace

TEST_CASE("An op with six inputs and two outputs passes the float64 gradient check") {
  for (const Shape& shape : {Shape{3, 4}, Shape{1, 5}, Shape{1, 1}, Shape{2, 1, 3}}) {
    CAPTURE(shape.str());
    const GradientCheck check = check_gradients(
        [](const std::vector<Var>& v) { return cell(v[0], v[1], v[2], v[3], v[4], v[5]); },
        random_inputs(shape, 6, 7), /*seed=*/3);
    require_close(check, {"f", "c", "i", "g", "o", "b"}, 1e-7);
  }
}

TEST_CASE("check_gradients on a multi-output op catches a wrong gradient of one output") {
  // The same cell but with h' = tanh(c') * o + b's gradient doubled.
  const auto broken = [](const std::vector<Var>& v) {
    Op op("broken", {v[0], v[1]});
    Tensor a = op.input(0).clone();
    Tensor b = op.input(1).clone();
    return op.finish({a, b}, [](const OutputGrads& douts, InputGrads& grads) {
      if (douts.defined(0)) grads.add(0, douts[0]);
      if (douts.defined(1)) grads.add(1, douts[1].clone().scale_(2.0));
    });
  };
  const GradientCheck check = check_gradients(broken, random_inputs({2, 3}, 2, 1));
  CHECK(check.errors[0] < 1e-9);
  CHECK(check.errors[1] > 0.1);
}

TEST_CASE("An unused output gives the closure an undefined gradient, and counts as zero") {
  const std::vector<Tensor> in = random_inputs({2, 3}, 6, 11);
  SUBCASE("only the second output is used") {
    CellStats stats;
    Tape tape;
    std::vector<Var> v;
    for (const Tensor& t : in) v.push_back(tape.variable(t.clone()));
    const std::vector<Var> out = cell(v[0], v[1], v[2], v[3], v[4], v[5], &stats);
    tape.backward(sum(out[1]));
    CHECK(stats.backward_calls == 1);
    CHECK_FALSE(stats.saw_dc);  // nothing was materialized for the unused output
    CHECK(stats.saw_dh);
    const auto h_only = [](const std::vector<Var>& x) {
      return cell(x[0], x[1], x[2], x[3], x[4], x[5])[1];
    };
    for (std::size_t k = 0; k < 6; ++k) {
      CAPTURE(k);
      CHECK(rel_error(v[k].grad(), numeric_gradient(h_only, in, k)) < 1e-7);
    }
  }
  SUBCASE("only the first output is used, and backward starts at it") {
    CellStats stats;
    Tape tape;
    std::vector<Var> v;
    for (const Tensor& t : in) v.push_back(tape.variable(t.clone()));
    const std::vector<Var> out = cell(v[0], v[1], v[2], v[3], v[4], v[5], &stats);
    tape.backward(out[0], Tensor::ones({2, 3}, DType::f64));  // out[0] is not the last node
    CHECK(stats.backward_calls == 1);
    CHECK(stats.saw_dc);
    CHECK_FALSE(stats.saw_dh);
    // dc'/dg = i; o and b do not reach c'.
    CHECK(rel_error(v[3].grad(), in[2]) == 0.0);
    CHECK_FALSE(tape.has_grad(v[4]));
    CHECK_FALSE(tape.has_grad(v[5]));
  }
  SUBCASE("no output is used: the closure does not run") {
    CellStats stats;
    Tape tape;
    std::vector<Var> v;
    for (const Tensor& t : in) v.push_back(tape.variable(t.clone()));
    cell(v[0], v[1], v[2], v[3], v[4], v[5], &stats);
    tape.backward(sum(v[0]));
    CHECK(stats.backward_calls == 0);
  }
}

TEST_CASE("A multi-output op runs its backward once, after all consumers of all outputs") {
  // x -> split (2x, x^2); the outputs are consumed out of order and twice,
  // and x also reaches the loss around the op: a diamond through it.
  struct Log {
    std::vector<std::string> order;
  } log;
  Tape tape;
  Var x = tape.variable(vec({1.5, -2.0}));
  Op op("split", {x});
  const Tensor in = op.input(0);
  const std::vector<Var> y = op.finish(
      {elementwise({in}, [](const auto& v) { return 2 * v[0]; }),
       elementwise({in}, [](const auto& v) { return v[0] * v[0]; })},
      [in, &log](const OutputGrads& douts, InputGrads& grads) {
        log.order.push_back("split");
        // d/dx = 2 * dy0 + 2x * dy1
        grads.add(0, elementwise({douts[0], douts[1], in},
                                 [](const auto& v) { return 2 * v[0] + 2 * v[2] * v[1]; }));
      });
  Var late = y[1] * y[0];      // consumes both outputs
  Var later = relu(y[1]) + x;  // output 1 again, and x around the op
  Var loss = sum(late + later + y[0]);
  tape.backward(loss);
  CHECK(log.order.size() == 1);
  // loss = 2x^3 + relu(x^2) + x + 2x; d/dx = 6x^2 + 2x + 1 + 2
  const std::vector<double> expected = {6 * 2.25 + 3 + 3, 6 * 4.0 - 4 + 3};
  const std::vector<double> got = x.grad().to_vector();
  CHECK(got[0] == doctest::Approx(expected[0]));
  CHECK(got[1] == doctest::Approx(expected[1]));
}

TEST_CASE("A diamond of two multi-output ops passes the gradient check") {
  // x, w -> cell -> (c, h); both feed a second cell with x again.
  const auto net = [](const std::vector<Var>& v) {
    const std::vector<Var> first = cell(v[0], v[1], v[2], v[3], v[4], v[5]);
    const std::vector<Var> second = cell(first[1], first[0], v[0], first[1], v[5], first[0]);
    return std::vector<Var>{second[0] + first[1], second[1]};
  };
  require_close(check_gradients(net, random_inputs({2, 2}, 6, 5)), {"f", "c", "i", "g", "o", "b"},
                1e-7);
}

TEST_CASE("An op takes any number of inputs, from a vector") {
  constexpr int kInputs = 40;
  Tape tape;
  std::vector<Var> inputs;
  for (int k = 0; k < kInputs; ++k) inputs.push_back(tape.variable(vec({double(k), 1.0})));
  Op op("weighted_sum", inputs);
  CHECK(op.num_inputs() == kInputs);
  Tensor out = Tensor::zeros({2}, DType::f64);
  for (int k = 0; k < kInputs; ++k) out.add_(op.input(k), k);
  Var y = op.finish(out, [](const Tensor& dout, InputGrads& grads) {
    for (int k = 0; k < kInputs; ++k) grads.add(k, dout.clone().scale_(k));
  });
  tape.backward(sum(y));
  CHECK(inputs[39].grad().to_vector() == std::vector<double>{39.0, 39.0});
  CHECK(inputs[0].grad().to_vector() == std::vector<double>{0.0, 0.0});
  CHECK(y.value().to_vector()[1] == doctest::Approx(39 * 40 / 2));
}

TEST_CASE("Op misuse gives clear errors") {
  Tape tape;
  Var x = tape.variable(vec({1.0}));
  SUBCASE("an input index out of range") {
    Op op("probe", {x});
    CHECK_THROWS_WITH_AS(op.input(1), doctest::Contains("probe: input 1 does not exist"),
                         ArgumentError);
  }
  SUBCASE("a one-gradient closure for two outputs") {
    Op op("pair", {x});
    CHECK_THROWS_WITH_AS(
        op.finish({x.value().clone(), x.value().clone()},
                  [](const Tensor& dout, InputGrads& grads) { grads.add(0, dout); }),
        doctest::Contains("pair: the op has 2 outputs"), TapeError);
  }
  SUBCASE("finish twice, and no outputs") {
    Op op("twice", {x});
    op.finish(x.value().clone(), nullptr);
    CHECK_THROWS_WITH_AS(op.finish(x.value().clone(), nullptr),
                         doctest::Contains("twice: finish() was already called"), TapeError);
    Op none("none", {x});
    CHECK_THROWS_WITH_AS(none.finish(std::vector<Tensor>{}, nullptr),
                         doctest::Contains("none: finish() needs at least one output"), TapeError);
  }
  SUBCASE("reading a gradient that does not exist") {
    Op op("pair", {x});
    Tensor a = x.value().clone();
    const std::vector<Var> out =
        op.finish({a, a.clone()},
                  [](const OutputGrads& douts, InputGrads& grads) { grads.add(0, douts[2]); });
    CHECK_THROWS_WITH_AS(tape.backward(sum(out[0])),
                         doctest::Contains("output gradient 2 does not exist"), TapeError);
  }
}

TEST_CASE("backward from several outputs at once adds their contributions") {
  Tape tape;
  Var x = tape.variable(vec({1.0, 2.0}));
  Var a = x * x;  // d/dx = 2x
  Var b = x + x;  // d/dx = 2
  tape.backward({a, b, a}, {vec({1.0, 1.0}), vec({3.0, 3.0}), vec({1.0, 0.0})});
  // (1 + 1) * 2x on the first element, 1 * 2x on the second, + 3 * 2.
  CHECK(x.grad().to_vector() == std::vector<double>{4.0 + 6.0, 4.0 + 6.0});
  CHECK_THROWS_WITH_AS(tape.backward({a}, std::vector<Tensor>{}),
                       doctest::Contains("1 outputs but 0"), TapeError);
}
