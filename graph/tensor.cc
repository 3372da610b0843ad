#include "graph/tensor.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>

#include "graph/errors.h"
#include "graph/rng.h"

namespace tg {
namespace {

// Applies f(T* data, int64_t n) with T the tensor's scalar type.
template <class F>
void for_data(Tensor& t, F&& f) {
  dispatch(t.dtype(), [&](auto zero) {
    using T = decltype(zero);
    f(t.data<T>(), t.numel());
  });
}

}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  std::size_t bytes = 0;
  if (__builtin_mul_overflow(static_cast<std::size_t>(shape.numel()), size_of(dtype), &bytes) ||
      bytes > Buffer::kMaxBytes) {
    throw ArgumentError(fmt::format(
        "Tensor::empty: shape {} of {} needs {} elements of {} bytes, more than the {} bytes "
        "(2^48) a tensor may hold",
        shape.str(), name_of(dtype), shape.numel(), size_of(dtype), Buffer::kMaxBytes));
  }
  try {
    return Tensor(Buffer(bytes), shape, dtype);
  } catch (const MemoryError&) {
    throw MemoryError(fmt::format("Tensor::empty: out of memory for shape {} of {} ({} bytes)",
                                  shape.str(), name_of(dtype), bytes));
  }
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) { return full(shape, 0.0, dtype); }

Tensor Tensor::ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }

Tensor Tensor::full(const Shape& shape, double value, DType dtype) {
  Tensor t = empty(shape, dtype);
  t.fill_(value);
  return t;
}

Tensor Tensor::from_values(const Shape& shape, const std::vector<double>& values, DType dtype) {
  if (static_cast<std::int64_t>(values.size()) != shape.numel()) {
    throw ArgumentError(fmt::format("Tensor::from_values: shape {} needs {} values, got {}",
                                    shape.str(), shape.numel(), values.size()));
  }
  Tensor t = empty(shape, dtype);
  for_data(t, [&](auto* data, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i)
      data[i] = static_cast<std::remove_pointer_t<decltype(data)>>(values[i]);
  });
  return t;
}

Tensor Tensor::randn(const Shape& shape, Rng& rng, DType dtype, double mean, double stddev) {
  Tensor t = empty(shape, dtype);
  for_data(t, [&](auto* data, std::int64_t n) {
    using T = std::remove_pointer_t<decltype(data)>;
    for (std::int64_t i = 0; i < n; ++i) data[i] = static_cast<T>(mean + stddev * rng.normal());
  });
  return t;
}

Tensor Tensor::uniform(const Shape& shape, Rng& rng, double low, double high, DType dtype) {
  Tensor t = empty(shape, dtype);
  for_data(t, [&](auto* data, std::int64_t n) {
    using T = std::remove_pointer_t<decltype(data)>;
    for (std::int64_t i = 0; i < n; ++i) data[i] = static_cast<T>(rng.uniform(low, high));
  });
  return t;
}

std::int64_t Tensor::dim(int axis) const {
  const int rank = shape_.rank();
  const int resolved = axis < 0 ? axis + rank : axis;
  if (resolved < 0 || resolved >= rank) {
    throw ArgumentError(
        fmt::format("Tensor::dim: axis {} is out of range for shape {}", axis, shape_.str()));
  }
  return shape_[resolved];
}

void Tensor::check_dtype(DType requested) const {
  if (requested != dtype_) {
    throw ArgumentError(fmt::format("Tensor::data: the tensor holds {} but {} was requested",
                                    name_of(dtype_), name_of(requested)));
  }
}

std::int64_t Tensor::offset_of(const std::int64_t* index, int count) const {
  if (count != shape_.rank()) {
    throw ArgumentError(
        fmt::format("Tensor::at: {} indices given for shape {}", count, shape_.str()));
  }
  std::int64_t offset = 0;
  for (int axis = 0; axis < count; ++axis) {
    if (index[axis] < 0 || index[axis] >= shape_[axis]) {
      throw ArgumentError(fmt::format("Tensor::at: index {} is out of range on axis {} of shape {}",
                                      index[axis], axis, shape_.str()));
    }
    offset = offset * shape_[axis] + index[axis];
  }
  return offset;
}

double Tensor::item() const {
  if (numel() != 1) {
    throw ArgumentError(
        fmt::format("Tensor::item: needs exactly one element, the shape is {}", shape_.str()));
  }
  return dtype_ == DType::f64 ? *data<double>() : *data<float>();
}

std::vector<double> Tensor::to_vector() const {
  std::vector<double> values(static_cast<std::size_t>(numel()));
  dispatch(dtype_, [&](auto zero) {
    using T = decltype(zero);
    const T* d = data<T>();
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = d[i];
  });
  return values;
}

Tensor Tensor::reshape(std::initializer_list<std::int64_t> dims) const {
  std::vector<std::int64_t> resolved(dims);
  int inferred = -1;
  std::int64_t known = 1;
  for (std::size_t i = 0; i < resolved.size(); ++i) {
    if (resolved[i] == -1) {
      if (inferred >= 0) {
        throw ArgumentError(
            fmt::format("reshape: more than one -1 in the new shape (from {})", shape_.str()));
      }
      inferred = static_cast<int>(i);
    } else {
      known *= resolved[i];
    }
  }
  if (inferred >= 0) {
    if (known == 0 || numel() % known != 0) {
      throw ArgumentError(fmt::format(
          "reshape: cannot infer a dimension to reshape {} ({} elements)", shape_.str(), numel()));
    }
    resolved[inferred] = numel() / known;
  }
  return reshape(Shape(resolved));
}

Tensor Tensor::reshape(const Shape& shape) const {
  if (shape.numel() != numel()) {
    throw ArgumentError(fmt::format("reshape: cannot view {} ({} elements) as {} ({} elements)",
                                    shape_.str(), numel(), shape.str(), shape.numel()));
  }
  return Tensor(buffer_, shape, dtype_);
}

Tensor Tensor::clone() const {
  Tensor copy = empty(shape_, dtype_);
  if (bytes() > 0) std::memcpy(copy.raw_data(), raw_data(), bytes());
  return copy;
}

Tensor Tensor::to(DType dtype) const {
  if (dtype == dtype_) return clone();
  Tensor converted = empty(shape_, dtype);
  dispatch(dtype_, [&](auto from_zero) {
    using From = decltype(from_zero);
    dispatch(dtype, [&](auto to_zero) {
      using To = decltype(to_zero);
      const From* source = data<From>();
      To* target = converted.data<To>();
      for (std::int64_t i = 0; i < numel(); ++i) target[i] = static_cast<To>(source[i]);
    });
  });
  return converted;
}

Tensor& Tensor::fill_(double value) {
  for_data(*this, [&](auto* data, std::int64_t n) {
    using T = std::remove_pointer_t<decltype(data)>;
    const T v = static_cast<T>(value);
    for (std::int64_t i = 0; i < n; ++i) data[i] = v;
  });
  mark_modified();
  return *this;
}

Tensor& Tensor::copy_(const Tensor& source) {
  if (source.shape() != shape_ || source.dtype() != dtype_) {
    throw ArgumentError(fmt::format("Tensor::copy_: cannot copy a {} {} into a {} {}",
                                    name_of(source.dtype()), source.shape().str(), name_of(dtype_),
                                    shape_.str()));
  }
  if (bytes() > 0 && !shares_storage_with(source))
    std::memcpy(raw_data(), source.raw_data(), bytes());
  mark_modified();
  return *this;
}

Tensor& Tensor::add_(const Tensor& other, double alpha) {
  if (other.shape() != shape_ || other.dtype() != dtype_) {
    throw ArgumentError(fmt::format("Tensor::add_: cannot add a {} {} to a {} {}",
                                    name_of(other.dtype()), other.shape().str(), name_of(dtype_),
                                    shape_.str()));
  }
  for_data(*this, [&](auto* data, std::int64_t n) {
    using T = std::remove_pointer_t<decltype(data)>;
    const T* source = other.data<T>();
    const T a = static_cast<T>(alpha);
    if (alpha == 1.0) {
      for (std::int64_t i = 0; i < n; ++i) data[i] += source[i];
    } else {
      for (std::int64_t i = 0; i < n; ++i) data[i] += a * source[i];
    }
  });
  mark_modified();
  return *this;
}

Tensor& Tensor::scale_(double factor) {
  for_data(*this, [&](auto* data, std::int64_t n) {
    using T = std::remove_pointer_t<decltype(data)>;
    const T f = static_cast<T>(factor);
    for (std::int64_t i = 0; i < n; ++i) data[i] *= f;
  });
  mark_modified();
  return *this;
}

void accumulate_into(Tensor& total, Tensor addend) {
  if (!total.defined()) {
    total = std::move(addend);
  } else if (total.unique_storage()) {
    total.add_(addend);
  } else {
    Tensor sum = total.clone();
    sum.add_(addend);
    total = std::move(sum);
  }
}

Tensor take_rows(const Tensor& t, const std::vector<std::int64_t>& rows) {
  if (t.rank() < 1) {
    throw ArgumentError(
        fmt::format("take_rows: needs rank 1 or more, got shape {}", t.shape().str()));
  }
  std::vector<std::int64_t> dims = t.shape().to_vector();
  dims[0] = static_cast<std::int64_t>(rows.size());
  Tensor out = Tensor::empty(Shape(dims), t.dtype());
  const std::size_t row_bytes =
      static_cast<std::size_t>(t.shape().numel_after_first()) * size_of(t.dtype());
  const auto* source = static_cast<const char*>(t.raw_data());
  auto* target = static_cast<char*>(out.raw_data());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] < 0 || rows[i] >= t.dim(0)) {
      throw ArgumentError(
          fmt::format("take_rows: row {} (position {}) is outside [0, {})", rows[i], i, t.dim(0)));
    }
    std::memcpy(target + i * row_bytes, source + rows[i] * row_bytes, row_bytes);
  }
  return out;
}

std::int64_t first_non_finite(const Tensor& t) {
  std::int64_t found = -1;
  dispatch(t.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* data = t.data<T>();
    for (std::int64_t i = 0; i < t.numel(); ++i) {
      if (!std::isfinite(data[i])) {
        found = i;
        return;
      }
    }
  });
  return found;
}

}  // namespace tg
