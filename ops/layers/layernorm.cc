#include "ops/layers/layernorm.h"

#include "graph/checks.h"
#include "graph/op.h"
#include "ops/layers/groupnorm.h"

namespace tg {
namespace {

constexpr char kOp[] = "layernorm";

}  // namespace

NormForward layernorm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                              double eps) {
  check_rank(kOp, "x", x, 2);
  const std::int64_t features = x.dim(1);
  check_norm_parameters(kOp, x, gamma, beta, features);
  if (!(eps > 0)) fail(kOp, "eps must be positive, got {}", eps);
  NormForward result = spatial_groupnorm_forward(x.reshape({x.dim(0), features, 1, 1}), gamma, beta,
                                                 GroupNormParams{1, eps});
  result.out = result.out.reshape(x.shape());
  return result;
}

NormGrads layernorm_backward(const Tensor& dout, const NormCache& cache) {
  return backward_on_feature_view("layernorm backward", dout, cache, spatial_groupnorm_backward);
}

Var layernorm(const Var& x, const Var& gamma, const Var& beta, double eps) {
  Op op(kOp, {x, gamma, beta});
  return finish_norm(op, layernorm_forward(op.input(0), op.input(1), op.input(2), eps),
                     layernorm_backward);
}

}  // namespace tg
