// layer_utils: compositions of tape ops, checked end to end.
#include "ops/layers/layer_utils.h"

#include <doctest/doctest.h>

#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "ops/conv/conv2d.h"
#include "ops/conv/max_pool2d.h"
#include "ops/layers/relu.h"
#include "tests/support/check_grads.h"

using namespace tg;
using tg::testing::randn;
using tg::testing::require_close;

namespace {

// Batch norm subtracts each channel's batch mean, so a bias added just before
// it does not change the output: its gradient is exactly zero.
const std::vector<tg::testing::Bound> kBiasBeforeBatchNorm = {
    {"x", 1e-6}, {"w", 1e-6}, tg::testing::Bound::zero("b"), {"gamma", 1e-6}, {"beta", 1e-6}};

}  // namespace

TEST_CASE("conv_relu_pool equals the ops chained by hand and checks numerically") {
  Rng rng(1);
  const Tensor x = randn({2, 3, 6, 6}, rng), w = randn({3, 3, 3, 3}, rng), b = randn({3}, rng);
  Tape tape;
  Var vx = tape.constant(x), vw = tape.variable(w), vb = tape.variable(b);
  const Tensor composed = conv_relu_pool(vx, vw, vb, {1, 1}, {2, 2, 2}).value();
  const Tensor by_hand = max_pool2d(relu(conv2d(vx, vw, vb, {1, 1})), {2, 2, 2}).value();
  CHECK(rel_error(composed, by_hand) == 0.0);
  require_close(check_gradients(
                    [](const std::vector<Var>& in) {
                      return conv_relu_pool(in[0], in[1], in[2], {1, 1}, {2, 2, 2});
                    },
                    {x, w, b}),
                {"x", "w", "b"}, 1e-6);
}

TEST_CASE("conv_bn_relu_pool and conv_bn_relu: gradients of every input") {
  Rng rng(2);
  const std::vector<Tensor> inputs = {randn({2, 2, 4, 4}, rng), randn({3, 2, 3, 3}, rng),
                                      randn({3}, rng), randn({3}, rng), randn({3}, rng)};
  require_close(
      check_gradients(
          [](const std::vector<Var>& in) {
            BatchNormState bn;
            return conv_bn_relu_pool(in[0], in[1], in[2], in[3], in[4], {1, 1}, bn, {2, 2, 2});
          },
          inputs),
      kBiasBeforeBatchNorm);
  require_close(check_gradients(
                    [](const std::vector<Var>& in) {
                      BatchNormState bn;
                      return conv_bn_relu(in[0], in[1], in[2], in[3], in[4], {1, 1}, bn);
                    },
                    inputs),
                kBiasBeforeBatchNorm);
}

TEST_CASE("affine_relu, affine_bn_relu and affine_ln_relu: gradients of every input") {
  Rng rng(3);
  const std::vector<Tensor> inputs = {randn({5, 2, 3}, rng), randn({6, 4}, rng), randn({4}, rng),
                                      randn({4}, rng), randn({4}, rng)};
  require_close(
      check_gradients([](const std::vector<Var>& in) { return affine_relu(in[0], in[1], in[2]); },
                      {inputs[0], inputs[1], inputs[2]}),
      {"x", "w", "b"}, 1e-6);
  require_close(check_gradients(
                    [](const std::vector<Var>& in) {
                      BatchNormState bn;
                      return affine_bn_relu(in[0], in[1], in[2], in[3], in[4], bn);
                    },
                    inputs),
                kBiasBeforeBatchNorm);
  require_close(check_gradients(
                    [](const std::vector<Var>& in) {
                      return affine_ln_relu(in[0], in[1], in[2], in[3], in[4]);
                    },
                    inputs),
                {"x", "w", "b", "gamma", "beta"}, 1e-6);
}
