// Throwing FileError with the message shapes every file reader uses:
// "<file>: <what went wrong>" and "<file>: byte <offset>: <what went wrong>".
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string_view>
#include <utility>

#include "graph/errors.h"

namespace tg {

template <class... Args>
[[noreturn]] void fail_file(std::string_view file, fmt::format_string<Args...> format,
                            Args&&... args) {
  throw FileError(fmt::format("{}: {}", file, fmt::format(format, std::forward<Args>(args)...)));
}

template <class... Args>
[[noreturn]] void fail_at_byte(std::string_view file, std::uint64_t offset,
                               fmt::format_string<Args...> format, Args&&... args) {
  throw FileError(fmt::format("{}: byte {}: {}", file, offset,
                              fmt::format(format, std::forward<Args>(args)...)));
}

}  // namespace tg
