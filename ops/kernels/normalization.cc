#include "ops/kernels/normalization.h"

#include "graph/checks.h"

namespace tg {

void check_norm_parameters(const char* op, const Tensor& x, const Tensor& gamma, const Tensor& beta,
                           std::int64_t channels) {
  check_vector(op, "gamma", gamma, channels);
  check_vector(op, "beta", beta, channels);
  check_same_dtype(op, "x", x, "gamma", gamma);
  check_same_dtype(op, "x", x, "beta", beta);
}

NormGrads backward_on_feature_view(const char* op, const Tensor& dout, const NormCache& cache,
                                   NormBackward backward) {
  const Shape& x4 = cache.x.shape();
  check_shape(op, "dout", dout, {x4[0], x4[1]});
  NormGrads grads = backward(dout.reshape(x4), cache);
  grads.dx = grads.dx.reshape(dout.shape());
  return grads;
}

Var finish_norm(Op& op, NormForward result, NormBackward backward) {
  return op.finish(std::move(result.out), [cache = std::move(result.cache), backward](
                                              const Tensor& dout, InputGrads& grads) {
    NormGrads g = backward(dout, cache);
    grads.add(0, std::move(g.dx));
    grads.add(1, std::move(g.dgamma));
    grads.add(2, std::move(g.dbeta));
  });
}

}  // namespace tg
