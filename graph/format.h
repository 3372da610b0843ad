// Printing tensors and shapes with fmt: fmt::print("{}\n", tensor).
#pragma once

#include <fmt/format.h>

#include <string>

#include "graph/tensor.h"

namespace tg {

// Nested brackets in the style of NumPy, long axes summarised with "...".
std::string to_string(const Tensor& tensor);

}  // namespace tg

template <>
struct fmt::formatter<tg::Tensor> : fmt::formatter<std::string> {
  template <class Context>
  auto format(const tg::Tensor& tensor, Context& context) const {
    return fmt::formatter<std::string>::format(tg::to_string(tensor), context);
  }
};

template <>
struct fmt::formatter<tg::Shape> : fmt::formatter<std::string> {
  template <class Context>
  auto format(const tg::Shape& shape, Context& context) const {
    return fmt::formatter<std::string>::format(shape.str(), context);
  }
};
