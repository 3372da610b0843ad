// The vanilla RNN layer: the notebook's forward values (computed with NumPy),
// float64 gradient checks of the kernels and the tape ops on awkward shapes,
// the fast sequence op against the same recurrence composed from
// primitives, and the same bits for any number of threads.
#include "ops/recurrent/rnn.h"

#include <doctest/doctest.h>

#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "ops/math/add.h"
#include "ops/math/matmul.h"
#include "ops/math/tanh.h"
#include "ops/shape/reshape.h"
#include "ops/shape/slice.h"
#include "ops/shape/stack.h"
#include "tests/support/check_grads.h"
#include "tests/support/recurrent_testing.h"

using namespace tg;
using namespace tg::testing;

namespace {

// (N, T, D, H) shapes for the checks: the usual, N = 1, T = 1, H = 1, D = 1.
const std::vector<std::vector<std::int64_t>> kShapes = {{2, 3, 4, 5}, {1, 3, 2, 4}, {2, 1, 3, 4},
                                                        {2, 3, 4, 1}, {1, 1, 1, 1}, {2, 5, 1, 3}};

// x, h0, Wx, Wh, b for one shape, scaled so that tanh does not saturate.
std::vector<Tensor> random_inputs(const std::vector<std::int64_t>& s, bool sequence,
                                  std::uint64_t seed) {
  const std::int64_t n = s[0], t = s[1], d = s[2], h = s[3];
  Rng rng(seed);
  return {sequence ? randn({n, t, d}, rng) : randn({n, d}, rng), randn({n, h}, rng),
          randn({d, h}, rng, 0, 0.5), randn({h, h}, rng, 0, 0.5), randn({h}, rng, 0, 0.5)};
}

// The recurrence from primitives: h_t = tanh(x_t Wx + h_{t-1} Wh + b).
Var composed_rnn(const std::vector<Var>& in) {
  const Var& x = in[0];
  const std::int64_t n = x.shape()[0], steps = x.shape()[1], d = x.shape()[2];
  Var h = in[1];
  std::vector<Var> hs;
  for (std::int64_t t = 0; t < steps; ++t) {
    const Var x_t = reshape(slice(x, 1, t, t + 1), {n, d});
    h = tanh(matmul(x_t, in[2]) + matmul(h, in[3]) + in[4]);
    hs.push_back(h);
  }
  return stack(hs, 1);
}

}  // namespace

TEST_CASE("rnn_step_forward gives the notebook's next_h") {
  const std::int64_t n = 3, d = 10, h = 4;
  const RnnStepForward out = rnn_step_forward(
      linspace(-0.4, 0.7, {n, d}), linspace(-0.2, 0.5, {n, h}), linspace(-0.1, 0.9, {d, h}),
      linspace(-0.3, 0.7, {h, h}), linspace(-0.2, 0.4, {h}));
  // NumPy: np.tanh(x @ Wx + prev_h @ Wh + b).
  const Tensor expected = Tensor::from_values(
      {3, 4},
      {-0.5817208893609517, -0.5018203225582263, -0.4123277084675209, -0.31410098395291147,
       0.6685469230196154, 0.7956237811573803, 0.8775555281383776, 0.9279596660825137,
       0.9793450053666393, 0.9914421288454613, 0.9964669105248765, 0.9985435331697275},
      DType::f64);
  CHECK(rel_error(out.next_h, expected) < 1e-14);
}

TEST_CASE("rnn_forward gives the notebook's h") {
  const std::int64_t n = 2, t = 3, d = 4, h = 5;
  const RnnForward out = rnn_forward(linspace(-0.1, 0.3, {n, t, d}), linspace(-0.3, 0.1, {n, h}),
                                     linspace(-0.2, 0.4, {d, h}), linspace(-0.4, 0.1, {h, h}),
                                     linspace(-0.7, 0.1, {h}));
  // NumPy, step by step as the notebook's reference solution.
  const Tensor expected = Tensor::from_values(
      {2, 3, 5},
      {-0.42070749422936604, -0.2727926123591627,  -0.11074945195674168, 0.057404086011177496,
       0.22236250698470283,  -0.3952580808226089,  -0.22554660564412654, -0.04094539710615053,
       0.14649411925904904,  0.3239731602547246,   -0.4230511116354818,  -0.24223727551154242,
       -0.04287026950065463, 0.15997044634009375,  0.3501452527123639,   -0.5585747447392556,
       -0.3906582465800071,  -0.1919818177467184,  0.02378407632371114,  0.23735670884056967,
       -0.27150198603490644, -0.07088804273366758, 0.135629388661564,    0.33099727669316853,
       0.5015876837699241,   -0.5101482461778555,  -0.30524428586196584, -0.06755201650071449,
       0.1780639205651804,   0.40333042994219465},
      DType::f64);
  CHECK(rel_error(out.h, expected) < 1e-14);
}

TEST_CASE("rnn_step_backward matches numerical gradients (float64)") {
  for (const auto& s : kShapes) {
    CAPTURE(s[0]);
    CAPTURE(s[2]);
    CAPTURE(s[3]);
    std::vector<Tensor> in = random_inputs(s, false, 1);
    Rng rng(2);
    const Tensor dnext = randn({s[0], s[3]}, rng);
    const auto loss = [&] {
      return dot(rnn_step_forward(in[0], in[1], in[2], in[3], in[4]).next_h, dnext);
    };
    const RnnGrads g =
        rnn_step_backward(dnext, rnn_step_forward(in[0], in[1], in[2], in[3], in[4]).cache);
    require_kernel_gradient("x", g.dx, loss, in[0]);
    require_kernel_gradient("prev_h", g.dh, loss, in[1]);
    require_kernel_gradient("Wx", g.dwx, loss, in[2]);
    require_kernel_gradient("Wh", g.dwh, loss, in[3]);
    require_kernel_gradient("b", g.db, loss, in[4]);
  }
}

TEST_CASE("rnn_backward matches numerical gradients (float64)") {
  for (const auto& s : kShapes) {
    CAPTURE(s[0]);
    CAPTURE(s[1]);
    CAPTURE(s[2]);
    CAPTURE(s[3]);
    std::vector<Tensor> in = random_inputs(s, true, 3);
    Rng rng(4);
    const Tensor dh = randn({s[0], s[1], s[3]}, rng);
    const auto loss = [&] { return dot(rnn_forward(in[0], in[1], in[2], in[3], in[4]).h, dh); };
    const RnnGrads g = rnn_backward(dh, rnn_forward(in[0], in[1], in[2], in[3], in[4]).cache);
    require_kernel_gradient("x", g.dx, loss, in[0]);
    require_kernel_gradient("h0", g.dh, loss, in[1]);
    require_kernel_gradient("Wx", g.dwx, loss, in[2]);
    require_kernel_gradient("Wh", g.dwh, loss, in[3]);
    require_kernel_gradient("b", g.db, loss, in[4]);
  }
}

TEST_CASE("rnn_step and rnn tape ops pass check_gradients (float64)") {
  for (const auto& s : kShapes) {
    CAPTURE(s[1]);
    CAPTURE(s[3]);
    require_close(
        check_gradients(
            [](const std::vector<Var>& v) { return rnn_step(v[0], v[1], v[2], v[3], v[4]); },
            random_inputs(s, false, 5), 6),
        {"x", "prev_h", "Wx", "Wh", "b"}, 1e-7);
    require_close(
        check_gradients([](const std::vector<Var>& v) { return rnn(v[0], v[1], v[2], v[3], v[4]); },
                        random_inputs(s, true, 7), 8),
        {"x", "h0", "Wx", "Wh", "b"}, 1e-7);
  }
}

TEST_CASE("the rnn sequence op equals the recurrence composed from primitives") {
  const auto fast = [](const std::vector<Var>& v) { return rnn(v[0], v[1], v[2], v[3], v[4]); };
  const std::vector<std::string> names = {"x", "h0", "Wx", "Wh", "b"};
  for (const auto& s : kShapes) {
    CAPTURE(s[1]);
    const std::vector<Tensor> in = random_inputs(s, true, 9);
    require_same_as_composition(as_multi(fast), as_multi(composed_rnn), in, names, 1e-12);
    std::vector<Tensor> in32;
    for (const Tensor& t : in) in32.push_back(t.to(DType::f32));
    require_same_as_composition(as_multi(fast), as_multi(composed_rnn), in32, names, 1e-5);
  }
  SUBCASE("one step op per step is the same recurrence") {
    const auto steps = [](const std::vector<Var>& v) {
      const std::int64_t n = v[0].shape()[0], d = v[0].shape()[2];
      Var h = v[1];
      std::vector<Var> hs;
      for (std::int64_t t = 0; t < v[0].shape()[1]; ++t) {
        h = rnn_step(reshape(slice(v[0], 1, t, t + 1), {n, d}), h, v[2], v[3], v[4]);
        hs.push_back(h);
      }
      return stack(hs, 1);
    };
    require_same_as_composition(as_multi(steps), as_multi(composed_rnn),
                                random_inputs({2, 4, 3, 5}, true, 10), names, 1e-12);
  }
}

TEST_CASE("rnn: a constant x gets no gradient and need_dx = false computes none") {
  std::vector<Tensor> in = random_inputs({2, 3, 4, 5}, true, 11);
  const RnnForward out = rnn_forward(in[0], in[1], in[2], in[3], in[4]);
  const RnnGrads g = rnn_backward(Tensor::ones(out.h.shape(), DType::f64), out.cache, false);
  CHECK_FALSE(g.dx.defined());
  CHECK(g.dwx.defined());
  Tape tape;
  Var h = rnn(tape.constant(in[0]), tape.variable(in[1]), tape.variable(in[2]),
              tape.variable(in[3]), tape.variable(in[4]));
  tape.backward(h, Tensor::ones(h.shape(), DType::f64));
  CHECK(h.value().to_vector() == out.h.to_vector());
}

TEST_CASE("rnn gives the same bits with 1, 2 and 3 threads") {
  Rng rng(12);
  const std::int64_t n = 64, t = 6, d = 28, h = 128;
  const std::vector<Tensor> in = {Tensor::randn({n, t, d}, rng), Tensor::randn({n, h}, rng),
                                  Tensor::randn({d, h}, rng, DType::f32, 0, 0.2),
                                  Tensor::randn({h, h}, rng, DType::f32, 0, 0.1),
                                  Tensor::randn({h}, rng)};
  const auto op =
      as_multi([](const std::vector<Var>& v) { return rnn(v[0], v[1], v[2], v[3], v[4]); });
  OpRun one, two, three;
  {
    ThreadCount threads(1);
    one = run_op(op, in, 13);
  }
  {
    ThreadCount threads(2);
    two = run_op(op, in, 13);
  }
  {
    ThreadCount threads(3);
    three = run_op(op, in, 13);
  }
  require_same_bits(one, two);
  require_same_bits(one, three);
}
