// The GRU layer: torch.nn.GRU's forward values on the same weights, float64
// gradient checks of the kernels and tape ops on awkward shapes, the fast ops
// against PyTorch's gate equations composed from primitives, and the same
// bits for any number of threads.
#include "ops/recurrent/gru.h"

#include <doctest/doctest.h>

#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "ops/math/add.h"
#include "ops/math/matmul.h"
#include "ops/math/mul.h"
#include "ops/math/sigmoid.h"
#include "ops/math/sub.h"
#include "ops/math/tanh.h"
#include "ops/shape/reshape.h"
#include "ops/shape/slice.h"
#include "ops/shape/stack.h"
#include "tests/support/check_grads.h"
#include "tests/support/recurrent_testing.h"

using namespace tg;
using namespace tg::testing;

namespace {

const std::vector<std::vector<std::int64_t>> kShapes = {{2, 3, 4, 5}, {1, 3, 2, 4}, {2, 1, 3, 4},
                                                        {2, 3, 4, 1}, {1, 1, 1, 1}, {2, 5, 1, 3}};
const std::vector<std::string> kNames = {"x", "h0", "Wx", "Wh", "bx", "bh"};

// x, h0, Wx, Wh, bx, bh.
std::vector<Tensor> random_inputs(const std::vector<std::int64_t>& s, bool sequence,
                                  std::uint64_t seed) {
  const std::int64_t n = s[0], t = s[1], d = s[2], h = s[3];
  Rng rng(seed);
  return {sequence ? randn({n, t, d}, rng) : randn({n, d}, rng),
          randn({n, h}, rng),
          randn({d, 3 * h}, rng, 0, 0.5),
          randn({h, 3 * h}, rng, 0, 0.5),
          randn({3 * h}, rng, 0, 0.5),
          randn({3 * h}, rng, 0, 0.5)};
}

// PyTorch's equations from primitives, one step.
Var composed_step(const Var& x, const Var& h, const Var& wx, const Var& wh, const Var& bx,
                  const Var& bh) {
  const std::int64_t hidden = h.shape()[1];
  const Var gx = matmul(x, wx) + bx;
  const Var gh = matmul(h, wh) + bh;
  const auto part = [hidden](const Var& v, int k) {
    return slice(v, 1, k * hidden, (k + 1) * hidden);
  };
  const Var r = sigmoid(part(gx, 0) + part(gh, 0));
  const Var z = sigmoid(part(gx, 1) + part(gh, 1));
  const Var n = tanh(part(gx, 2) + r * part(gh, 2));
  return (1.0 - z) * n + z * h;
}

Var composed_gru(const std::vector<Var>& in) {
  const Var& x = in[0];
  const std::int64_t n = x.shape()[0], steps = x.shape()[1], d = x.shape()[2];
  Var h = in[1];
  std::vector<Var> hs;
  for (std::int64_t t = 0; t < steps; ++t) {
    h = composed_step(reshape(slice(x, 1, t, t + 1), {n, d}), h, in[2], in[3], in[4], in[5]);
    hs.push_back(h);
  }
  return stack(hs, 1);
}

}  // namespace

TEST_CASE("gru_forward equals torch.nn.GRU with the same weights") {
  const std::int64_t n = 2, t = 3, d = 4, h = 5;
  const GruForward out = gru_forward(
      linspace(-0.5, 0.8, {n, t, d}), linspace(-0.3, 0.6, {n, h}), linspace(-0.6, 0.9, {d, 3 * h}),
      linspace(-0.8, 0.5, {h, 3 * h}), linspace(-0.2, 0.3, {3 * h}), linspace(0.4, -0.1, {3 * h}));
  // torch.nn.GRU(4, 5, batch_first=True).double() with weight_ih_l0 = Wx^T,
  // weight_hh_l0 = Wh^T, bias_ih_l0 = bx, bias_hh_l0 = bh.
  const Tensor expected = Tensor::from_values(
      {2, 3, 5},
      {-0.13764164318072775, -0.08693474273356114,  -0.03931640675968304, 0.005247626135372393,
       0.046800682110919006, 0.0008973454431659145, 0.029300100189547318, 0.05539823259389293,
       0.07926885813862687,  0.10099420121872549,   0.1389603336644311,   0.16288116849867956,
       0.1853194192854799,   0.2063067191150409,    0.22587892152092717,  0.3302718952721908,
       0.4035220182171454,   0.4771929027509637,    0.5513982714623956,   0.6262600170105732,
       0.45274290356240965,  0.5111244383456086,    0.5685497131097301,   0.6255739218302293,
       0.6827517801708775,   0.5657017318452194,    0.6137768180826588,   0.6587838702973519,
       0.7019745883075642,   0.7445473118692851},
      DType::f64);
  CHECK(rel_error(out.h, expected) < 1e-12);
  // The first step alone, through the step kernel.
  const GruStepForward step = gru_step_forward(
      slice_forward(linspace(-0.5, 0.8, {n, t, d}), 1, 0, 1).reshape({n, d}),
      linspace(-0.3, 0.6, {n, h}), linspace(-0.6, 0.9, {d, 3 * h}), linspace(-0.8, 0.5, {h, 3 * h}),
      linspace(-0.2, 0.3, {3 * h}), linspace(0.4, -0.1, {3 * h}));
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < h; ++j) {
      CHECK(step.next_h.at<double>(i, j) ==
            doctest::Approx(expected.at<double>(i, 0, j)).epsilon(1e-12));
    }
  }
}

TEST_CASE("gru_step_backward matches numerical gradients (float64)") {
  for (const auto& s : kShapes) {
    CAPTURE(s[0]);
    CAPTURE(s[2]);
    CAPTURE(s[3]);
    std::vector<Tensor> in = random_inputs(s, false, 21);
    Rng rng(22);
    const Tensor dnext = randn({s[0], s[3]}, rng);
    const auto loss = [&] {
      return dot(gru_step_forward(in[0], in[1], in[2], in[3], in[4], in[5]).next_h, dnext);
    };
    const GruGrads g =
        gru_step_backward(dnext, gru_step_forward(in[0], in[1], in[2], in[3], in[4], in[5]).cache);
    require_kernel_gradient("x", g.dx, loss, in[0]);
    require_kernel_gradient("prev_h", g.dh, loss, in[1]);
    require_kernel_gradient("Wx", g.dwx, loss, in[2]);
    require_kernel_gradient("Wh", g.dwh, loss, in[3]);
    require_kernel_gradient("bx", g.dbx, loss, in[4]);
    require_kernel_gradient("bh", g.dbh, loss, in[5]);
  }
}

TEST_CASE("gru_backward matches numerical gradients (float64)") {
  for (const auto& s : kShapes) {
    CAPTURE(s[0]);
    CAPTURE(s[1]);
    CAPTURE(s[2]);
    CAPTURE(s[3]);
    std::vector<Tensor> in = random_inputs(s, true, 3);
    Rng rng(4);
    const Tensor dh = randn({s[0], s[1], s[3]}, rng);
    const auto loss = [&] {
      return dot(gru_forward(in[0], in[1], in[2], in[3], in[4], in[5]).h, dh);
    };
    const GruGrads g =
        gru_backward(dh, gru_forward(in[0], in[1], in[2], in[3], in[4], in[5]).cache);
    require_kernel_gradient("x", g.dx, loss, in[0]);
    require_kernel_gradient("h0", g.dh, loss, in[1]);
    require_kernel_gradient("Wx", g.dwx, loss, in[2]);
    require_kernel_gradient("Wh", g.dwh, loss, in[3]);
    require_kernel_gradient("bx", g.dbx, loss, in[4]);
    require_kernel_gradient("bh", g.dbh, loss, in[5]);
  }
}

TEST_CASE("gru_step and gru tape ops pass check_gradients (float64)") {
  for (const auto& s : kShapes) {
    CAPTURE(s[1]);
    CAPTURE(s[3]);
    require_close(
        check_gradients(
            [](const std::vector<Var>& v) { return gru_step(v[0], v[1], v[2], v[3], v[4], v[5]); },
            random_inputs(s, false, 5), 6),
        {"x", "prev_h", "Wx", "Wh", "bx", "bh"}, 1e-7);
    require_close(
        check_gradients(
            [](const std::vector<Var>& v) { return gru(v[0], v[1], v[2], v[3], v[4], v[5]); },
            random_inputs(s, true, 7), 8),
        kNames, 1e-7);
  }
}

TEST_CASE("the gru ops equal PyTorch's equations composed from primitives") {
  const auto fast = [](const std::vector<Var>& v) {
    return gru(v[0], v[1], v[2], v[3], v[4], v[5]);
  };
  for (const auto& s : kShapes) {
    CAPTURE(s[1]);
    const std::vector<Tensor> in = random_inputs(s, true, 9);
    require_same_as_composition(as_multi(fast), as_multi(composed_gru), in, kNames, 1e-12);
    std::vector<Tensor> in32;
    for (const Tensor& t : in) in32.push_back(t.to(DType::f32));
    require_same_as_composition(as_multi(fast), as_multi(composed_gru), in32, kNames, 1e-5);
  }
  SUBCASE("one step op per step") {
    const auto steps = [](const std::vector<Var>& v) {
      const std::int64_t n = v[0].shape()[0], d = v[0].shape()[2];
      Var h = v[1];
      std::vector<Var> hs;
      for (std::int64_t t = 0; t < v[0].shape()[1]; ++t) {
        h = gru_step(reshape(slice(v[0], 1, t, t + 1), {n, d}), h, v[2], v[3], v[4], v[5]);
        hs.push_back(h);
      }
      return stack(hs, 1);
    };
    require_same_as_composition(as_multi(steps), as_multi(composed_gru),
                                random_inputs({2, 4, 3, 5}, true, 10), kNames, 1e-12);
  }
}

TEST_CASE("gru gives the same bits with 1, 2 and 3 threads") {
  Rng rng(11);
  const std::int64_t n = 64, t = 5, d = 28, h = 128;
  const std::vector<Tensor> in = {Tensor::randn({n, t, d}, rng),
                                  Tensor::randn({n, h}, rng),
                                  Tensor::randn({d, 3 * h}, rng, DType::f32, 0, 0.2),
                                  Tensor::randn({h, 3 * h}, rng, DType::f32, 0, 0.1),
                                  Tensor::randn({3 * h}, rng),
                                  Tensor::randn({3 * h}, rng)};
  const auto op =
      as_multi([](const std::vector<Var>& v) { return gru(v[0], v[1], v[2], v[3], v[4], v[5]); });
  std::vector<OpRun> runs;
  for (int threads : {1, 2, 3}) {
    ThreadCount count(threads);
    runs.push_back(run_op(op, in, 12));
  }
  require_same_bits(runs[0], runs[1]);
  require_same_bits(runs[0], runs[2]);
}
