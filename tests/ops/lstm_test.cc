// The LSTM layer: the notebook's forward values (computed with NumPy, and
// equal to torch.nn.LSTMCell's with its gates reordered), float64 gradient
// checks of the kernels and tape ops on awkward shapes, the fast ops against
// the same recurrence composed from primitives, and the same bits for any
// number of threads.
#include "ops/recurrent/lstm.h"

#include <doctest/doctest.h>

#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "ops/math/add.h"
#include "ops/math/matmul.h"
#include "ops/math/mul.h"
#include "ops/math/sigmoid.h"
#include "ops/math/tanh.h"
#include "ops/shape/reshape.h"
#include "ops/shape/slice.h"
#include "ops/shape/stack.h"
#include "tests/support/check_grads.h"
#include "tests/support/recurrent_testing.h"

using namespace tg;
using namespace tg::testing;

namespace {

// (N, T, D, H): the usual, N = 1, T = 1, H = 1, all 1, D = 1.
const std::vector<std::vector<std::int64_t>> kShapes = {{2, 3, 4, 5}, {1, 3, 2, 4}, {2, 1, 3, 4},
                                                        {2, 3, 4, 1}, {1, 1, 1, 1}, {2, 5, 1, 3}};

// x, h0 (, c0 for a step), Wx, Wh, b.
std::vector<Tensor> random_inputs(const std::vector<std::int64_t>& s, bool sequence,
                                  std::uint64_t seed) {
  const std::int64_t n = s[0], t = s[1], d = s[2], h = s[3];
  Rng rng(seed);
  std::vector<Tensor> in = {sequence ? randn({n, t, d}, rng) : randn({n, d}, rng),
                            randn({n, h}, rng)};
  if (!sequence) in.push_back(randn({n, h}, rng));
  in.push_back(randn({d, 4 * h}, rng, 0, 0.5));
  in.push_back(randn({h, 4 * h}, rng, 0, 0.5));
  in.push_back(randn({4 * h}, rng, 0, 0.5));
  return in;
}

// One step from primitives; returns {next_h, next_c}. c undefined: zero.
std::vector<Var> composed_step(const Var& x, const Var& h, const Var& c, const Var& wx,
                               const Var& wh, const Var& b) {
  const std::int64_t hidden = h.shape()[1];
  const Var a = matmul(x, wx) + matmul(h, wh) + b;
  const Var i = sigmoid(slice(a, 1, 0, hidden));
  const Var f = sigmoid(slice(a, 1, hidden, 2 * hidden));
  const Var o = sigmoid(slice(a, 1, 2 * hidden, 3 * hidden));
  const Var g = tanh(slice(a, 1, 3 * hidden, 4 * hidden));
  const Var next_c = c.defined() ? f * c + i * g : i * g;
  return {o * tanh(next_c), next_c};
}

Var composed_lstm(const std::vector<Var>& in) {
  const Var& x = in[0];
  const std::int64_t n = x.shape()[0], steps = x.shape()[1], d = x.shape()[2];
  Var h = in[1];
  Var c;
  std::vector<Var> hs;
  for (std::int64_t t = 0; t < steps; ++t) {
    std::vector<Var> hc =
        composed_step(reshape(slice(x, 1, t, t + 1), {n, d}), h, c, in[2], in[3], in[4]);
    h = hc[0];
    c = hc[1];
    hs.push_back(h);
  }
  return stack(hs, 1);
}

Tensor values(const Shape& shape, const std::vector<double>& v) {
  return Tensor::from_values(shape, v, DType::f64);
}

}  // namespace

TEST_CASE("lstm_step_forward gives the notebook's next_h and next_c") {
  const std::int64_t n = 3, d = 4, h = 5;
  const LstmStepForward out =
      lstm_step_forward(linspace(-0.4, 1.2, {n, d}), linspace(-0.3, 0.7, {n, h}),
                        linspace(-0.4, 0.9, {n, h}), linspace(-2.1, 1.3, {d, 4 * h}),
                        linspace(-0.7, 2.2, {h, 4 * h}), linspace(0.3, 0.7, {4 * h}));
  // NumPy (the course's formulas); torch.nn.LSTMCell with the gates
  // reordered to its i, f, g, o agrees to 1e-16.
  CHECK(rel_error(out.next_h,
                  values({3, 5}, {0.246351571213056, 0.286108831020461, 0.3224046717698407,
                                  0.35525806594621184, 0.3847490360597991, 0.49223563303888745,
                                  0.5561143066113929, 0.6150769568006216, 0.6684400284823045,
                                  0.7159181044743833, 0.5673566412055159, 0.663101268715901,
                                  0.7441926638979893, 0.8088966499118183, 0.858298997623819})) <
        1e-14);
  CHECK(rel_error(out.next_c,
                  values({3, 5}, {0.32986176314111315, 0.39145138544795877, 0.4515559995998391,
                                  0.5101411614491791, 0.5671740736872735, 0.6638225524637821,
                                  0.7667400672312346, 0.8719599431928136, 0.979027094948747,
                                  1.08751345237529, 0.7419200783768545, 0.9059215066785871,
                                  1.0771700614501034, 1.251202326175854, 1.4239567632592633})) <
        1e-14);
}

TEST_CASE("lstm_forward gives the notebook's h") {
  const std::int64_t n = 2, d = 5, h = 4, t = 3;
  const LstmForward out = lstm_forward(
      linspace(-0.4, 0.6, {n, t, d}), linspace(-0.4, 0.8, {n, h}), linspace(-0.2, 0.9, {d, 4 * h}),
      linspace(-0.3, 0.6, {h, 4 * h}), linspace(0.2, 0.7, {4 * h}));
  const Tensor expected =
      values({2, 3, 4},
             {0.017640083037811647, 0.018232332167570614, 0.01882670704503837, 0.019423203162435863,
              0.11287490919660739,  0.12146228463977861,  0.13018446442822876, 0.13902938790840177,
              0.3135876793272155,   0.3333862715638398,   0.3530445311295057,  0.3725097476682582,
              0.45767878659560074,  0.4761091991628703,   0.4936887023441314,  0.510419452206302,
              0.6704845009080801,   0.6935008904076979,   0.7148601377683881,  0.7346449026659514,
              0.8173351139038457,   0.836778712496834,    0.8540375323364592,  0.8693531429947408});
  CHECK(rel_error(out.h, expected) < 1e-14);
}

TEST_CASE("lstm_step_backward matches numerical gradients (float64)") {
  for (const auto& s : kShapes) {
    CAPTURE(s[0]);
    CAPTURE(s[2]);
    CAPTURE(s[3]);
    std::vector<Tensor> in = random_inputs(s, false, 1);
    Rng rng(2);
    const Tensor dnext_h = randn({s[0], s[3]}, rng);
    const Tensor dnext_c = randn({s[0], s[3]}, rng);
    const auto loss = [&] {
      const LstmStepForward out = lstm_step_forward(in[0], in[1], in[2], in[3], in[4], in[5]);
      return dot(out.next_h, dnext_h) + dot(out.next_c, dnext_c);
    };
    const LstmGrads g = lstm_step_backward(
        dnext_h, dnext_c, lstm_step_forward(in[0], in[1], in[2], in[3], in[4], in[5]).cache);
    require_kernel_gradient("x", g.dx, loss, in[0]);
    require_kernel_gradient("prev_h", g.dh, loss, in[1]);
    require_kernel_gradient("prev_c", g.dc, loss, in[2]);
    require_kernel_gradient("Wx", g.dwx, loss, in[3]);
    require_kernel_gradient("Wh", g.dwh, loss, in[4]);
    require_kernel_gradient("b", g.db, loss, in[5]);
  }
}

TEST_CASE("lstm_backward matches numerical gradients (float64)") {
  for (const auto& s : kShapes) {
    CAPTURE(s[0]);
    CAPTURE(s[1]);
    CAPTURE(s[2]);
    CAPTURE(s[3]);
    std::vector<Tensor> in = random_inputs(s, true, 3);
    Rng rng(4);
    const Tensor dh = randn({s[0], s[1], s[3]}, rng);
    const auto loss = [&] { return dot(lstm_forward(in[0], in[1], in[2], in[3], in[4]).h, dh); };
    const LstmGrads g = lstm_backward(dh, lstm_forward(in[0], in[1], in[2], in[3], in[4]).cache);
    CHECK_FALSE(g.dc.defined());
    require_kernel_gradient("x", g.dx, loss, in[0]);
    require_kernel_gradient("h0", g.dh, loss, in[1]);
    require_kernel_gradient("Wx", g.dwx, loss, in[2]);
    require_kernel_gradient("Wh", g.dwh, loss, in[3]);
    require_kernel_gradient("b", g.db, loss, in[4]);
  }
}

TEST_CASE("lstm_step and lstm tape ops pass check_gradients (float64)") {
  const std::vector<std::string> step_names = {"x", "prev_h", "prev_c", "Wx", "Wh", "b"};
  for (const auto& s : kShapes) {
    CAPTURE(s[1]);
    CAPTURE(s[3]);
    const MultiOpUnderTest step = [](const std::vector<Var>& v) {
      return lstm_step(v[0], v[1], v[2], v[3], v[4], v[5]);
    };
    require_close(check_gradients(step, random_inputs(s, false, 5), 6), step_names, 1e-7);
    // Only one of the two outputs used: the other's gradient is undefined.
    for (int used = 0; used < 2; ++used) {
      CAPTURE(used);
      const OpUnderTest one = [used](const std::vector<Var>& v) {
        return lstm_step(v[0], v[1], v[2], v[3], v[4], v[5])[used];
      };
      require_close(check_gradients(one, random_inputs(s, false, 7), 8), step_names, 1e-7);
    }
    require_close(check_gradients(
                      [](const std::vector<Var>& v) { return lstm(v[0], v[1], v[2], v[3], v[4]); },
                      random_inputs(s, true, 29), 30),
                  {"x", "h0", "Wx", "Wh", "b"}, 1e-7);
  }
}

TEST_CASE("the lstm ops equal the recurrence composed from primitives") {
  const std::vector<std::string> names = {"x", "h0", "Wx", "Wh", "b"};
  const auto fast = [](const std::vector<Var>& v) { return lstm(v[0], v[1], v[2], v[3], v[4]); };
  for (const auto& s : kShapes) {
    CAPTURE(s[1]);
    const std::vector<Tensor> in = random_inputs(s, true, 11);
    require_same_as_composition(as_multi(fast), as_multi(composed_lstm), in, names, 1e-12);
    std::vector<Tensor> in32;
    for (const Tensor& t : in) in32.push_back(t.to(DType::f32));
    require_same_as_composition(as_multi(fast), as_multi(composed_lstm), in32, names, 1e-5);
  }
  SUBCASE("the step op, both outputs") {
    require_same_as_composition(
        [](const std::vector<Var>& v) { return lstm_step(v[0], v[1], v[2], v[3], v[4], v[5]); },
        [](const std::vector<Var>& v) { return composed_step(v[0], v[1], v[2], v[3], v[4], v[5]); },
        random_inputs({3, 1, 4, 5}, false, 12), {"x", "prev_h", "prev_c", "Wx", "Wh", "b"}, 1e-12);
  }
  SUBCASE("one step op per step, the cell state carried between them") {
    const auto steps = [](const std::vector<Var>& v) {
      const std::int64_t n = v[0].shape()[0], d = v[0].shape()[2], h = v[1].shape()[1];
      Var hidden = v[1];
      Var cell = v[0].tape().constant(Tensor::zeros({n, h}, DType::f64));
      std::vector<Var> hs;
      for (std::int64_t t = 0; t < v[0].shape()[1]; ++t) {
        std::vector<Var> hc =
            lstm_step(reshape(slice(v[0], 1, t, t + 1), {n, d}), hidden, cell, v[2], v[3], v[4]);
        hidden = hc[0];
        cell = hc[1];
        hs.push_back(hidden);
      }
      return stack(hs, 1);
    };
    require_same_as_composition(as_multi(steps), as_multi(composed_lstm),
                                random_inputs({2, 4, 3, 5}, true, 13), names, 1e-12);
  }
}

TEST_CASE("lstm: need_dx = false computes no dx; the tape skips a constant x's") {
  const std::vector<Tensor> in = random_inputs({2, 3, 4, 5}, true, 14);
  const LstmForward out = lstm_forward(in[0], in[1], in[2], in[3], in[4]);
  const LstmGrads g = lstm_backward(Tensor::ones(out.h.shape(), DType::f64), out.cache, false);
  CHECK_FALSE(g.dx.defined());
  CHECK(g.dwh.defined());
  Tape tape;
  const Var x = tape.constant(in[0]);
  const Var h = lstm(x, tape.variable(in[1]), tape.variable(in[2]), tape.variable(in[3]),
                     tape.variable(in[4]));
  tape.backward(h, Tensor::ones(h.shape(), DType::f64));
  CHECK_FALSE(tape.has_grad(x));
  CHECK(h.value().to_vector() == out.h.to_vector());
}

TEST_CASE("lstm gives the same bits with 1, 2 and 3 threads") {
  Rng rng(15);
  const std::int64_t n = 64, t = 5, d = 28, h = 128;
  const std::vector<Tensor> in = {Tensor::randn({n, t, d}, rng), Tensor::randn({n, h}, rng),
                                  Tensor::randn({d, 4 * h}, rng, DType::f32, 0, 0.2),
                                  Tensor::randn({h, 4 * h}, rng, DType::f32, 0, 0.1),
                                  Tensor::randn({4 * h}, rng)};
  const auto op =
      as_multi([](const std::vector<Var>& v) { return lstm(v[0], v[1], v[2], v[3], v[4]); });
  std::vector<OpRun> runs;
  for (int threads : {1, 2, 3}) {
    ThreadCount count(threads);
    runs.push_back(run_op(op, in, 16));
  }
  require_same_bits(runs[0], runs[1]);
  require_same_bits(runs[0], runs[2]);
}
