// The seed's layer_utils: common layer sandwiches as plain compositions of
// tape ops (no backward code of their own: the tape chains the ops' closures).
#pragma once

#include "graph/tape.h"
#include "ops/conv/conv2d.h"
#include "ops/kernels/pool2d.h"
#include "ops/layers/spatial_batchnorm.h"

namespace tg {

// relu(x W + b)
Var affine_relu(const Var& x, const Var& w, const Var& b);
// relu(batchnorm(x W + b))
Var affine_bn_relu(const Var& x, const Var& w, const Var& b, const Var& gamma, const Var& beta,
                   BatchNormState& bn);
// relu(layernorm(x W + b))
Var affine_ln_relu(const Var& x, const Var& w, const Var& b, const Var& gamma, const Var& beta,
                   double eps = 1e-5);

// relu(conv(x))
Var conv_relu(const Var& x, const Var& w, const Var& b, const Conv2dParams& conv);
// max_pool(relu(conv(x)))
Var conv_relu_pool(const Var& x, const Var& w, const Var& b, const Conv2dParams& conv,
                   const Pool2dParams& pool);
// relu(spatial_batchnorm(conv(x)))
Var conv_bn_relu(const Var& x, const Var& w, const Var& b, const Var& gamma, const Var& beta,
                 const Conv2dParams& conv, BatchNormState& bn);
// max_pool(relu(spatial_batchnorm(conv(x))))
Var conv_bn_relu_pool(const Var& x, const Var& w, const Var& b, const Var& gamma, const Var& beta,
                      const Conv2dParams& conv, BatchNormState& bn, const Pool2dParams& pool);

}  // namespace tg
