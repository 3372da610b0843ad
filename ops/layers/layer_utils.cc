#include "ops/layers/layer_utils.h"

#include "ops/conv/max_pool2d.h"
#include "ops/layers/batchnorm.h"
#include "ops/layers/layernorm.h"
#include "ops/layers/linear.h"
#include "ops/layers/relu.h"

namespace tg {

Var affine_relu(const Var& x, const Var& w, const Var& b) { return relu(linear(x, w, b)); }

Var affine_bn_relu(const Var& x, const Var& w, const Var& b, const Var& gamma, const Var& beta,
                   BatchNormState& bn) {
  return relu(batchnorm(linear(x, w, b), gamma, beta, bn));
}

Var affine_ln_relu(const Var& x, const Var& w, const Var& b, const Var& gamma, const Var& beta,
                   double eps) {
  return relu(layernorm(linear(x, w, b), gamma, beta, eps));
}

Var conv_relu(const Var& x, const Var& w, const Var& b, const Conv2dParams& conv) {
  return relu(conv2d(x, w, b, conv));
}

Var conv_relu_pool(const Var& x, const Var& w, const Var& b, const Conv2dParams& conv,
                   const Pool2dParams& pool) {
  return max_pool2d(conv_relu(x, w, b, conv), pool);
}

Var conv_bn_relu(const Var& x, const Var& w, const Var& b, const Var& gamma, const Var& beta,
                 const Conv2dParams& conv, BatchNormState& bn) {
  return relu(spatial_batchnorm(conv2d(x, w, b, conv), gamma, beta, bn));
}

Var conv_bn_relu_pool(const Var& x, const Var& w, const Var& b, const Var& gamma, const Var& beta,
                      const Conv2dParams& conv, BatchNormState& bn, const Pool2dParams& pool) {
  return max_pool2d(conv_bn_relu(x, w, b, gamma, beta, conv, bn), pool);
}

}  // namespace tg
