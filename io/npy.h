// NumPy .npy files (format version 1.0), so Python users can load parameters:
//   np.load("W1.npy")
#pragma once

#include <string>
#include <string_view>

#include "graph/tensor.h"

namespace tg {

// The bytes of an .npy file holding the tensor ('<f4' or '<f8', C order).
std::string npy_bytes(const Tensor& tensor);
// Writes them atomically.
void save_npy(const std::string& path, const Tensor& tensor);
// Reads a little-endian float32/float64 C-order .npy (version 1.0 or 2.0);
// anything else is a FileError naming the file.
Tensor parse_npy(std::string_view source, std::string_view bytes);
Tensor load_npy(const std::string& path);

}  // namespace tg
