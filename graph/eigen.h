// Zero-copy Eigen views of tensors, for writing kernels. Include this only in
// .cc files: Eigen is heavy to compile.
#pragma once

#include <Eigen/Core>

#include "graph/tensor.h"

namespace tg {

template <class T>
using MatrixView = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
template <class T>
using ConstMatrixView =
    Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
template <class T>
using ArrayView = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using ConstArrayView = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using RowVectorView = Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>>;
template <class T>
using ConstRowVectorView = Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>>;

// The tensor as a (rows, cols) row-major matrix; rows * cols must be numel.
template <class T>
MatrixView<T> as_matrix(Tensor& t, std::int64_t rows, std::int64_t cols) {
  return MatrixView<T>(t.data<T>(), rows, cols);
}
template <class T>
ConstMatrixView<T> as_matrix(const Tensor& t, std::int64_t rows, std::int64_t cols) {
  return ConstMatrixView<T>(t.data<T>(), rows, cols);
}

// The tensor as (first dimension, everything else): the (N, D) view.
template <class T>
MatrixView<T> as_matrix(Tensor& t) {
  return as_matrix<T>(t, t.dim(0), t.shape().numel_after_first());
}
template <class T>
ConstMatrixView<T> as_matrix(const Tensor& t) {
  return as_matrix<T>(t, t.dim(0), t.shape().numel_after_first());
}

// All elements as one flat array, for elementwise math.
template <class T>
ArrayView<T> as_array(Tensor& t) {
  return ArrayView<T>(t.data<T>(), t.numel());
}
template <class T>
ConstArrayView<T> as_array(const Tensor& t) {
  return ConstArrayView<T>(t.data<T>(), t.numel());
}

// A rank-1 tensor as a row vector (biases, gamma, beta).
template <class T>
RowVectorView<T> as_row(Tensor& t) {
  return RowVectorView<T>(t.data<T>(), t.numel());
}
template <class T>
ConstRowVectorView<T> as_row(const Tensor& t) {
  return ConstRowVectorView<T>(t.data<T>(), t.numel());
}

}  // namespace tg
