// Joining tensors of one shape along a new axis (a copy), as np.stack and
// torch.stack: n tensors (A,B) stacked at axis 1 give (A,n,B); axis may be
// 0..rank (or negative, -1 the new last axis). Any number of inputs.
#pragma once

#include <cstddef>
#include <vector>

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

Tensor stack_forward(const std::vector<Tensor>& inputs, int axis = 0);
// The gradient of each input (all of input_shape): its slice of dout.
std::vector<Tensor> stack_backward(const Tensor& dout, std::size_t count, const Shape& input_shape,
                                   int axis = 0);

// Tape op: stack({h1, h2, h3}, 1).
Var stack(const std::vector<Var>& inputs, int axis = 0);

}  // namespace tg
