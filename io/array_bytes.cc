#include "io/array_bytes.h"

#include <fmt/format.h>

#include <limits>

namespace tg {

std::optional<std::uint64_t> array_data_bytes(const std::vector<std::int64_t>& dims, DType dtype) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::uint64_t nonzero = size_of(dtype);
  bool empty = false;
  for (const std::int64_t d : dims) {
    if (d == 0) {
      empty = true;
    } else if (nonzero > kMax / static_cast<std::uint64_t>(d)) {
      return std::nullopt;
    } else {
      nonzero *= static_cast<std::uint64_t>(d);
    }
  }
  return empty ? 0 : nonzero;
}

std::string dims_str(const std::vector<std::int64_t>& dims) {
  return fmt::format("({})", fmt::join(dims, ","));
}

}  // namespace tg
