// Element types a Tensor can hold, and the one place that turns a runtime
// dtype into a compile-time scalar type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tg {

// float32 is the training default; float64 exists for gradient checks.
enum class DType : std::uint8_t { f32, f64 };

constexpr std::size_t size_of(DType dtype) { return dtype == DType::f32 ? 4 : 8; }

constexpr std::string_view name_of(DType dtype) {
  return dtype == DType::f32 ? "float32" : "float64";
}

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return DType::f32;
}
template <>
constexpr DType dtype_of<double>() {
  return DType::f64;
}

// Calls f(T{}) with T = float or double according to dtype, so a kernel is
// written once as a template and instantiated for both types:
//   dispatch(x.dtype(), [&](auto zero) { using T = decltype(zero); ... });
template <class F>
decltype(auto) dispatch(DType dtype, F&& f) {
  if (dtype == DType::f64) return f(double{});
  return f(float{});
}

}  // namespace tg
