// The size of an array's data computed without overflow, for the readers of
// files that state an array's shape (checkpoints, .npy).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "graph/dtype.h"

namespace tg {

// The bytes of data a row-major array of these dimensions (each >= 0) holds,
// or nothing when the product of its nonzero dimensions and the element size
// overflows int64 (NumPy's "array is too big"). So for an array that passes,
// empty or not, no product of its dimensions overflows.
std::optional<std::uint64_t> array_data_bytes(const std::vector<std::int64_t>& dims, DType dtype);

// "(2,3)", as Shape::str() prints, for dimensions that may not form a Shape.
std::string dims_str(const std::vector<std::int64_t>& dims);

}  // namespace tg
