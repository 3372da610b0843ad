#include "graph/shape.h"

#include <fmt/format.h>

#include "graph/errors.h"

namespace tg {

template <class It>
void Shape::assign(It first, It last) {
  const auto count = static_cast<int>(last - first);
  if (count > kMaxRank) {
    throw ArgumentError(fmt::format("Shape: rank {} exceeds the maximum rank {}", count, kMaxRank));
  }
  rank_ = count;
  // The product of the nonzero dimensions must fit in int64, so that no
  // product of dimensions (numel, numel_after_first) can overflow.
  std::int64_t nonzero_product = 1;
  for (int i = 0; i < count; ++i, ++first) {
    if (*first < 0) {
      throw ArgumentError(fmt::format("Shape: dimension {} is negative ({})", i, *first));
    }
    if (*first > 0 && __builtin_mul_overflow(nonzero_product, *first, &nonzero_product)) {
      throw ArgumentError("Shape: the dimensions multiply past 2^63 elements");
    }
    dims_[i] = *first;
  }
}

Shape::Shape(std::initializer_list<std::int64_t> dims) { assign(dims.begin(), dims.end()); }

Shape::Shape(const std::vector<std::int64_t>& dims) { assign(dims.begin(), dims.end()); }

std::int64_t Shape::numel() const {
  std::int64_t n = 1;
  for (int i = 0; i < rank_; ++i) n *= dims_[i];
  return n;
}

std::int64_t Shape::numel_after_first() const {
  std::int64_t n = 1;
  for (int i = 1; i < rank_; ++i) n *= dims_[i];
  return n;
}

bool Shape::operator==(const Shape& other) const {
  if (rank_ != other.rank_) return false;
  for (int i = 0; i < rank_; ++i) {
    if (dims_[i] != other.dims_[i]) return false;
  }
  return true;
}

std::string Shape::str() const { return fmt::format("({})", fmt::join(begin(), end(), ",")); }

}  // namespace tg
