#include "ops/layers/batchnorm.h"

#include "graph/checks.h"
#include "graph/op.h"

namespace tg {
namespace {

constexpr char kOp[] = "batchnorm";

}  // namespace

NormForward batchnorm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                              BatchNormState& state) {
  check_rank(kOp, "x", x, 2);
  const std::int64_t features = x.dim(1);
  check_norm_parameters(kOp, x, gamma, beta, features);
  check_batchnorm_state(kOp, state, features, x.dtype());
  check_batch_statistics(kOp, state, x, x.dim(0));
  NormForward result =
      spatial_batchnorm_forward(x.reshape({x.dim(0), features, 1, 1}), gamma, beta, state);
  result.out = result.out.reshape(x.shape());
  return result;
}

NormGrads batchnorm_backward(const Tensor& dout, const NormCache& cache) {
  return backward_on_feature_view("batchnorm backward", dout, cache, spatial_batchnorm_backward);
}

Var batchnorm(const Var& x, const Var& gamma, const Var& beta, BatchNormState& state) {
  Op op(kOp, {x, gamma, beta});
  return finish_norm(op, batchnorm_forward(op.input(0), op.input(1), op.input(2), state),
                     batchnorm_backward);
}

}  // namespace tg
