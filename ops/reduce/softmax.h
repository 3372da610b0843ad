// softmax and log_softmax over one axis (default the last), numerically
// stable: each slice along the axis is shifted by its maximum before exp, so
// exp never overflows, and log_softmax = x - max - log(sum(exp(x - max)))
// never takes the log of 0. One file pair for both: they share that kernel.
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

// out = exp(x) / sum(exp(x)) along the axis.
Tensor softmax_forward(const Tensor& x, int axis = -1);
// dx = out * (dout - sum(dout * out)) along the axis, from the output.
Tensor softmax_backward(const Tensor& dout, const Tensor& out, int axis = -1);

// out = x - log(sum(exp(x))) along the axis.
Tensor log_softmax_forward(const Tensor& x, int axis = -1);
// dx = dout - exp(out) * sum(dout) along the axis, from the output.
Tensor log_softmax_backward(const Tensor& dout, const Tensor& out, int axis = -1);

// Tape ops.
Var softmax(const Var& x, int axis = -1);
Var log_softmax(const Var& x, int axis = -1);

}  // namespace tg
