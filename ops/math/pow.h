// Power by a constant, elementwise: out = x^exponent. Like NumPy, a negative
// x with a non-integer exponent gives NaN, and 0 with a negative exponent
// infinity (Tape::Options::detect_anomaly names the op).
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

Tensor pow_forward(const Tensor& x, double exponent);
// dx = dout * exponent * x^(exponent - 1) (zero for exponent 0).
Tensor pow_backward(const Tensor& dout, const Tensor& x, double exponent);

// Tape op.
Var pow(const Var& x, double exponent);

}  // namespace tg
