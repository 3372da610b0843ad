#include "ops/index/embedding.h"

#include <fmt/format.h>

#include <cstring>

#include "graph/checks.h"
#include "graph/op.h"
#include "graph/parallel.h"

namespace tg {
namespace {

constexpr char kOp[] = "embedding";

// "(1,0)": the position of flat element `flat` in `shape`.
std::string position(const Shape& shape, std::int64_t flat) {
  std::vector<std::int64_t> index(shape.rank());
  for (int k = shape.rank() - 1; k >= 0; --k) {
    index[k] = flat % shape[k];
    flat /= shape[k];
  }
  return fmt::format("({})", fmt::join(index, ","));
}

// The output shape (indices..., D), after checking w and every index.
Shape check_inputs(std::string_view op, const Indices& indices, const Shape& w_shape) {
  if (w_shape.rank() != 2 || w_shape.numel() == 0) {
    fail(op, "w must be a (V, D) table with V, D > 0, got {}", w_shape.str());
  }
  if (indices.shape().rank() >= Shape::kMaxRank) {
    fail(op, "indices {} have {} axes; with D the output would exceed the maximum rank {}",
         indices.shape().str(), indices.shape().rank(), Shape::kMaxRank);
  }
  if (indices.values().empty()) fail(op, "indices {} are empty", indices.shape().str());
  const std::int64_t rows = w_shape[0];
  for (std::size_t p = 0; p < indices.values().size(); ++p) {
    const std::int64_t index = indices.values()[p];
    if (index < 0 || index >= rows) {
      fail(op, "indices{} is {}, outside [0, {}) (the rows of w {})",
           position(indices.shape(), static_cast<std::int64_t>(p)), index, rows, w_shape.str());
    }
  }
  std::vector<std::int64_t> dims = indices.shape().to_vector();
  dims.push_back(w_shape[1]);
  return Shape(dims);
}

template <class T>
void scatter_add(const T* dout, const std::vector<std::int64_t>& indices, std::int64_t d, T* dw) {
  // Threads split the columns; each adds every position in order, so repeats
  // accumulate in a fixed order whatever the number of threads.
  const auto count = static_cast<std::int64_t>(indices.size());
  parallel_for(d, grain_for(count), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t p = 0; p < count; ++p) {
      T* row = dw + indices[p] * d;
      const T* g = dout + p * d;
#pragma omp simd
      for (std::int64_t j = begin; j < end; ++j) row[j] += g[j];
    }
  });
}

}  // namespace

Indices::Indices(std::vector<std::int64_t> values)
    : values_(std::move(values)), shape_({static_cast<std::int64_t>(values_.size())}) {}

Indices::Indices(std::vector<std::int64_t> values, const Shape& shape)
    : values_(std::move(values)), shape_(shape) {
  if (static_cast<std::int64_t>(values_.size()) != shape_.numel()) {
    throw ArgumentError(fmt::format("Indices: shape {} needs {} values, got {}", shape_.str(),
                                    shape_.numel(), values_.size()));
  }
}

Tensor embedding_forward(const Indices& indices, const Tensor& w) {
  if (!w.defined()) fail(kOp, "w is undefined (an empty Tensor handle)");
  Tensor out = Tensor::empty(check_inputs(kOp, indices, w.shape()), w.dtype());
  const std::size_t row_bytes = static_cast<std::size_t>(w.dim(1)) * size_of(w.dtype());
  const auto* table = static_cast<const char*>(w.raw_data());
  auto* rows = static_cast<char*>(out.raw_data());
  const std::vector<std::int64_t>& values = indices.values();
  parallel_for(static_cast<std::int64_t>(values.size()), grain_for(w.dim(1)),
               [&](std::int64_t first, std::int64_t last) {
                 for (std::int64_t p = first; p < last; ++p) {
                   std::memcpy(rows + p * row_bytes, table + values[p] * row_bytes, row_bytes);
                 }
               });
  return out;
}

Tensor embedding_backward(const Tensor& dout, const Indices& indices, const Shape& w_shape) {
  check_shape("embedding backward", "dout", dout,
              check_inputs("embedding backward", indices, w_shape));
  Tensor dw = Tensor::zeros(w_shape, dout.dtype());
  dispatch(dout.dtype(), [&](auto zero) {
    using T = decltype(zero);
    scatter_add(dout.data<T>(), indices.values(), w_shape[1], dw.data<T>());
  });
  return dw;
}

Var embedding(const Indices& indices, const Var& w) {
  Op op(kOp, {w});
  const Shape w_shape = op.input(0).shape();
  return op.finish(embedding_forward(indices, op.input(0)),
                   [indices, w_shape](const Tensor& dout, InputGrads& grads) {
                     grads.add(0, embedding_backward(dout, indices, w_shape));
                   });
}

}  // namespace tg
