// Tensor: an n-dimensional float32 or float64 array, contiguous and row-major.
//
// A Tensor is a handle: copying it shares the storage (like PyTorch), clone()
// copies the data. reshape() never copies. Math on tensors lives in the ops;
// graph/eigen.h gives zero-copy Eigen views for writing kernels.
//
// Versions: the storage counts its in-place writes (version()). The in-place
// methods below bump it; code that writes through data<T>() into a tensor
// that may already be recorded on a tape (an optimizer updating a parameter)
// calls mark_modified() after writing. A tape refuses to run the backward of
// an op whose inputs or outputs changed version since it was recorded.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "graph/buffer.h"
#include "graph/dtype.h"
#include "graph/shape.h"

namespace tg {

class Rng;

class Tensor {
 public:
  Tensor() = default;  // undefined: no storage, defined() is false

  // Uninitialised contents: for kernels that write every element. Throws
  // ArgumentError when the size in bytes overflows or exceeds
  // Buffer::kMaxBytes, MemoryError when the system refuses the memory.
  static Tensor empty(const Shape& shape, DType dtype = DType::f32);
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32);
  static Tensor ones(const Shape& shape, DType dtype = DType::f32);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::f32);
  // Values in row-major order; their count must equal shape.numel().
  static Tensor from_values(const Shape& shape, const std::vector<double>& values,
                            DType dtype = DType::f32);
  static Tensor randn(const Shape& shape, Rng& rng, DType dtype = DType::f32, double mean = 0.0,
                      double stddev = 1.0);
  static Tensor uniform(const Shape& shape, Rng& rng, double low, double high,
                        DType dtype = DType::f32);

  bool defined() const { return buffer_.defined(); }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  std::int64_t dim(int axis) const;  // negative axes count from the end
  std::int64_t numel() const { return shape_.numel(); }
  std::size_t bytes() const { return static_cast<std::size_t>(numel()) * size_of(dtype_); }

  // Typed access to the elements; throws if T does not match dtype().
  template <class T>
  T* data();
  template <class T>
  const T* data() const;
  void* raw_data() const { return buffer_.data(); }

  // Bounds-checked element access, one index per axis: t.at<float>(n, c, h, w).
  template <class T, class... Index>
  T& at(Index... index);
  template <class T, class... Index>
  const T& at(Index... index) const;

  // The value of a one-element tensor, as double.
  double item() const;
  // All elements, converted to double (for tests and printing).
  std::vector<double> to_vector() const;

  // Same storage, new shape; one dimension may be -1 (inferred).
  Tensor reshape(std::initializer_list<std::int64_t> dims) const;
  Tensor reshape(const Shape& shape) const;
  Tensor clone() const;
  Tensor to(DType dtype) const;

  // In-place updates (they write into the shared storage and bump its version).
  Tensor& fill_(double value);
  Tensor& copy_(const Tensor& source);                    // same shape
  Tensor& add_(const Tensor& other, double alpha = 1.0);  // this += alpha * other
  Tensor& scale_(double factor);

  // The storage's count of in-place writes, shared by all its views.
  std::uint32_t version() const { return buffer_.version(); }
  // Records an in-place write made through data<T>() (bumps the version).
  void mark_modified() { buffer_.bump_version(); }

  // True when no other Tensor shares this storage.
  bool unique_storage() const { return buffer_.unique(); }
  bool shares_storage_with(const Tensor& other) const { return buffer_.same_block(other.buffer_); }

 private:
  Tensor(Buffer buffer, const Shape& shape, DType dtype)
      : buffer_(std::move(buffer)), shape_(shape), dtype_(dtype) {}

  void check_dtype(DType requested) const;
  std::int64_t offset_of(const std::int64_t* index, int count) const;

  Buffer buffer_;
  Shape shape_;
  DType dtype_ = DType::f32;
};

template <class T>
T* Tensor::data() {
  check_dtype(dtype_of<T>());
  return static_cast<T*>(buffer_.data());
}

template <class T>
const T* Tensor::data() const {
  check_dtype(dtype_of<T>());
  return static_cast<const T*>(buffer_.data());
}

template <class T, class... Index>
T& Tensor::at(Index... index) {
  const std::array<std::int64_t, sizeof...(Index)> indices{static_cast<std::int64_t>(index)...};
  return data<T>()[offset_of(indices.data(), sizeof...(Index))];
}

template <class T, class... Index>
const T& Tensor::at(Index... index) const {
  const std::array<std::int64_t, sizeof...(Index)> indices{static_cast<std::int64_t>(index)...};
  return data<T>()[offset_of(indices.data(), sizeof...(Index))];
}

// total += addend, where total may be undefined (it then takes addend,
// sharing its storage) or share its storage with other tensors (the sum then
// goes to a new tensor, so no other holder sees it change). Gradients are
// accumulated this way on tapes and in parameters.
void accumulate_into(Tensor& total, Tensor addend);

// Copies of rows of t (slices along the first axis) in the order given,
// repeats allowed: (rows.size(), ...). Throws ArgumentError for an index
// outside [0, t.dim(0)).
Tensor take_rows(const Tensor& t, const std::vector<std::int64_t>& rows);

// The index of the first NaN or infinite element, or -1 when all are finite.
std::int64_t first_non_finite(const Tensor& t);

// The same as shape.str(), for messages: "(2,3,4,5)".
inline std::string shape_str(const Tensor& t) { return t.shape().str(); }

}  // namespace tg
