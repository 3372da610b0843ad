// Reordering axes (a copy): permute(x, {0, 2, 3, 1}) turns (N,C,H,W) into
// (N,H,W,C): output axis i is input axis axes[i], as torch.permute and
// np.transpose(x, axes). transpose(x) is the 2-D case, (M,N) -> (N,M).
#pragma once

#include <vector>

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

Tensor permute_forward(const Tensor& x, const std::vector<int>& axes);
// dx = dout permuted back by the inverse permutation.
Tensor permute_backward(const Tensor& dout, const std::vector<int>& axes);

// Tape ops.
Var permute(const Var& x, const std::vector<int>& axes);
Var transpose(const Var& x);

}  // namespace tg
