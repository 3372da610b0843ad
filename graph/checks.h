// Argument checks shared by every op. Each throws ArgumentError with a message
// "<op>: <what> <expected>, got <actual>".
#pragma once

#include <fmt/format.h>

#include <string_view>

#include "graph/errors.h"
#include "graph/tensor.h"

namespace tg {

// Throws ArgumentError("op: message").
template <class... Args>
[[noreturn]] void fail(std::string_view op, fmt::format_string<Args...> format, Args&&... args) {
  throw ArgumentError(fmt::format("{}: {}", op, fmt::format(format, std::forward<Args>(args)...)));
}

// The tensor exists, has exactly `rank` axes and no zero-size axis.
void check_rank(std::string_view op, std::string_view what, const Tensor& t, int rank);
// The tensor exists, has at least `rank` axes and no zero-size axis.
void check_min_rank(std::string_view op, std::string_view what, const Tensor& t, int rank);
// The tensor has exactly this shape.
void check_shape(std::string_view op, std::string_view what, const Tensor& t,
                 const Shape& expected);
// Both tensors hold the same dtype.
void check_same_dtype(std::string_view op, std::string_view what_a, const Tensor& a,
                      std::string_view what_b, const Tensor& b);
// A vector of per-channel values (gamma, beta, bias) of length n.
void check_vector(std::string_view op, std::string_view what, const Tensor& t, std::int64_t n);

}  // namespace tg
