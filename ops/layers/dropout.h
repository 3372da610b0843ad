// Inverted dropout: in training each element is kept with probability
// keep_prob and scaled by 1 / keep_prob, so test time is the identity. The
// mask comes from an explicit Rng (seed it for reproducible runs and checks).
#pragma once

#include "graph/rng.h"
#include "graph/tape.h"
#include "graph/tensor.h"
#include "ops/kernels/mode.h"

namespace tg {

struct DropoutParams {
  double keep_prob = 0.5;  // in (0, 1]
  Mode mode = Mode::train;
};

struct DropoutCache {
  Tensor mask;  // 0 or 1 / keep_prob per element; undefined in test mode
};

struct DropoutForward {
  Tensor out;
  DropoutCache cache;
};

DropoutForward dropout_forward(const Tensor& x, const DropoutParams& params, Rng& rng);
// dx = dout * mask (dout itself in test mode).
Tensor dropout_backward(const Tensor& dout, const DropoutCache& cache);

// Tape op.
Var dropout(const Var& x, const DropoutParams& params, Rng& rng);

}  // namespace tg
