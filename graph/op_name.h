// OpName: the name of an op as a tape node stores it, guaranteed to outlive
// every tape (a node keeps only a pointer to it, and its errors name the op).
//
//   Op op("relu", {x});                  // a string literal: static storage, free
//   constexpr char kOp[] = "conv2d";     // a constant char array: the same
//   Op op(std::string("my_") + kind, {x});  // a std::string: interned, see below
//
// A std::string (or OpName::intern(view)) is copied once into a process-wide
// pool of names and the OpName points into the pool. The pool only grows
// (one entry per distinct name, never freed) and is guarded by a mutex, so
// build such names once, not per call, in hot code. A `const char*` or a
// std::string_view is refused at compile time: neither says whether its
// characters outlive the tape; nor is a writable char array (a buffer).
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>

namespace tg {

class OpName {
 public:
  // A string literal or a constant char array (static storage).
  template <std::size_t N>
  constexpr OpName(const char (&literal)[N])  // NOLINT(google-explicit-constructor)
      : name_(literal, N - 1) {}
  template <std::size_t N>
  OpName(char (&buffer)[N]) = delete;  // a writable buffer: pass a std::string
  // Interned: the pool keeps a copy for the life of the process. (A template
  // so that a `const char*` does not silently convert to a std::string.)
  template <class String, std::enable_if_t<std::is_same_v<String, std::string>, int> = 0>
  OpName(const String& name)  // NOLINT(google-explicit-constructor)
      : OpName(intern(name)) {}
  static OpName intern(std::string_view name);

  std::string_view view() const { return name_; }
  operator std::string_view() const { return name_; }  // NOLINT(google-explicit-constructor)

 private:
  struct Pooled {};
  constexpr OpName(Pooled, std::string_view pooled) : name_(pooled) {}

  std::string_view name_;
};

}  // namespace tg

template <>
struct fmt::formatter<tg::OpName> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const tg::OpName& name, FormatContext& context) const {
    return fmt::formatter<std::string_view>::format(name.view(), context);
  }
};
