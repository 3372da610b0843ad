// Views with a new shape: the output shares x's storage (no copy), like
// Tensor::reshape. Do not change a reshaped value in place: x changes with it.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

// The new shape: the same number of elements; one dimension may be -1,
// inferred from the others. Throws ArgumentError naming `op`.
Shape resolve_reshape(std::string_view op, const Shape& from,
                      const std::vector<std::int64_t>& dims);

// Tape ops. The backward reshapes dout back to x's shape (no copy either).
// reshape(x, {N, -1}); flatten(x) merges the axes from start_axis on:
// (N,C,H,W) -> (N, C*H*W) with the default 1 (the linear layer's view),
// -> (N*C*H*W) with 0.
Var reshape(const Var& x, const std::vector<std::int64_t>& dims);
Var flatten(const Var& x, int start_axis = 1);

}  // namespace tg
