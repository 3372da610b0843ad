// Natural logarithm, elementwise: out = ln(x). Like NumPy, x = 0 gives -inf and x < 0 NaN
// (Tape::Options::detect_anomaly names the op).
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

Tensor log_forward(const Tensor& x);
// dx = dout / x.
Tensor log_backward(const Tensor& dout, const Tensor& x);

// Tape op.
Var log(const Var& x);

}  // namespace tg
