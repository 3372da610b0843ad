// Joining tensors along an existing axis (a copy), as np.concatenate and
// torch.cat: shapes equal except along the axis, (2,3) and (2,5) along axis 1
// give (2,8). Any number of inputs (one is a copy).
#pragma once

#include <vector>

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

Tensor concat_forward(const std::vector<Tensor>& inputs, int axis = 0);
// The gradient of each input: its part of dout along the axis.
std::vector<Tensor> concat_backward(const Tensor& dout, const std::vector<Shape>& input_shapes,
                                    int axis = 0);

// Tape op: concat({a, b, c}, 1).
Var concat(const std::vector<Var>& inputs, int axis = 0);

}  // namespace tg
