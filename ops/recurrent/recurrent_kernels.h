// What the recurrent layers (ops/rnn, ops/lstm, ops/gru) share: the checks of
// their arguments, views of one time step of an (N, T, K) tensor, the
// activations applied in place, and the matrix products. Include this only in
// .cc files: it includes Eigen.
//
// The layers keep the course's layout: x (N, T, D), hidden states (N, T, H),
// gate pre-activations (N, T, G*H) with the G gates side by side. The row of
// example n at step t is row n*T + t of the (N*T, K) view, so the rows of one
// step are every T-th row: step_rows() views them as an (N, K) matrix.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>

#include "graph/eigen.h"
#include "graph/parallel.h"
#include "graph/tensor.h"
#include "ops/kernels/matrix_product.h"

namespace tg {

// The sizes of a recurrent layer's input.
struct RecurrentDims {
  std::int64_t n;  // examples
  std::int64_t t;  // time steps (1 for a step op)
  std::int64_t d;  // input features
  std::int64_t h;  // hidden units
};

// Checks x, h0, wx, wh of a layer with `gates` gates and returns the sizes:
// x (N, T, D) for a sequence (x (N, D) for a step: `sequence` false, T = 1),
// h0 (N, H), wx (D, gates*H), wh (H, gates*H), one dtype. `h_name` names the
// hidden input in messages ("h0" or "prev_h"). Throws ArgumentError naming op,
// the argument, the expected and the actual shape.
RecurrentDims check_recurrent_inputs(std::string_view op, bool sequence, const Tensor& x,
                                     std::string_view h_name, const Tensor& h, const Tensor& wx,
                                     const Tensor& wh, int gates);

// A bias of shape (size) and the dtype of x.
void check_recurrent_bias(std::string_view op, std::string_view what, const Tensor& b,
                          std::int64_t size, const Tensor& x);

// The dims of a forward cache (x (N, T, D), wh (H, G*H)) handed to a
// backward; a step op's backward refuses the cache of a sequence, naming
// the forward op that made it.
RecurrentDims cache_dims(std::string_view op, std::string_view forward_op, bool sequence,
                         const Tensor& x, const Tensor& wh);

// The upstream gradient of a layer's hidden states: (N, T, H) for a
// sequence, (N, H) for a step, in the dtype of the forward pass.
void check_recurrent_dout(std::string_view op, std::string_view what, bool sequence,
                          const Tensor& dout, const RecurrentDims& dims, const Tensor& like);

template <class T>
using StepView = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0,
                            Eigen::OuterStride<>>;
template <class T>
using ConstStepView =
    Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0,
               Eigen::OuterStride<>>;

// The (N, K) rows of step `step` of an (N, T, K) tensor.
template <class T>
StepView<T> step_rows(Tensor& t, std::int64_t step) {
  const std::int64_t steps = t.dim(1), k = t.dim(2);
  return StepView<T>(t.data<T>() + step * k, t.dim(0), k, Eigen::OuterStride<>(steps * k));
}
template <class T>
ConstStepView<T> step_rows(const Tensor& t, std::int64_t step) {
  const std::int64_t steps = t.dim(1), k = t.dim(2);
  return ConstStepView<T>(t.data<T>() + step * k, t.dim(0), k, Eigen::OuterStride<>(steps * k));
}

// Copies the hidden state step t starts from (h0 at t = 0, else h's step
// t - 1), rows [first, last), into prev_h's step t, where the step's product
// and the backward read it.
template <class T>
void save_previous_hidden(Tensor& prev_h, const Tensor& h0, const Tensor& h, std::int64_t t,
                          std::int64_t first, std::int64_t last) {
  auto into = step_rows<T>(prev_h, t).middleRows(first, last - first);
  if (t == 0) {
    into = as_matrix<T>(h0).middleRows(first, last - first);
  } else {
    into = step_rows<T>(h, t - 1).middleRows(first, last - first);
  }
}

// x[i] = sigmoid(x[i]) and x[i] = tanh(x[i]) for i < n, vectorised (Eigen's
// packet math for float; the standard functions' accuracy for double).
template <class T>
void sigmoid_in_place(T* x, std::int64_t n) {
  ArrayView<T> a(x, n);
  a = a.logistic();
}
template <class T>
void tanh_in_place(T* x, std::int64_t n) {
  ArrayView<T> a(x, n);
  a = a.tanh();
}

// The gradients of a recurrent layer's two products over the whole sequence,
// x Wx and prev_h Wh, from those of their results dgx and dgh (rows of the
// (N, T) steps): dx = dgx Wx^T (when need_dx, shaped (N, T, D)),
// dWx = x^T dgx, dWh = prev_h^T dgh; and db = the column sums of dgx.
struct ProductGrads {
  Tensor dx, dwx, dwh, db;
};

template <class T>
ProductGrads product_grads(const RecurrentDims& dims, const Tensor& x, const Tensor& prev_h,
                           const Tensor& wx, const Tensor& wh, const Tensor& dgx, const Tensor& dgh,
                           bool need_dx) {
  const std::int64_t rows = dims.n * dims.t, width = wx.dim(1);
  const auto all_dgx = as_matrix<T>(dgx, rows, width);
  ProductGrads grads;
  if (need_dx) {
    grads.dx = Tensor::empty({dims.n, dims.t, dims.d}, dgx.dtype());
    multiply_in_blocks(as_matrix<T>(grads.dx, rows, dims.d), all_dgx, as_matrix<T>(wx).transpose());
  }
  grads.dwx = Tensor::empty(wx.shape(), dgx.dtype());
  multiply_in_blocks(as_matrix<T>(grads.dwx), as_matrix<T>(x, rows, dims.d).transpose(), all_dgx);
  grads.dwh = Tensor::empty(wh.shape(), dgx.dtype());
  multiply_in_blocks(as_matrix<T>(grads.dwh), as_matrix<T>(prev_h, rows, dims.h).transpose(),
                     as_matrix<T>(dgh, rows, width));
  grads.db = Tensor::empty({width}, dgx.dtype());
  as_row<T>(grads.db) = all_dgx.colwise().sum();
  return grads;
}

// Moves dx, dWx and dWh into a layer's gradients (RnnGrads, LstmGrads,
// GruGrads); db is the caller's (GRU has two biases).
template <class Grads>
void move_product_grads(ProductGrads& from, Grads& to) {
  to.dx = std::move(from.dx);
  to.dwx = std::move(from.dwx);
  to.dwh = std::move(from.dwh);
}

// The batch cut into blocks of consecutive examples, each run through every
// time step by one thread: the examples of a batch do not interact, so one
// parallel region serves a whole sequence (not one per step, whose start and
// join would cost more than a step's work under load). The cut depends on the
// shapes alone (never the thread count), so the bits do not depend on it:
// at least kMinRows examples a block, at most kMaxBlocks blocks, one block
// when the work (multiply-adds of the recurrent products) is small.
struct BatchBlocks {
  std::int64_t size;
  std::int64_t count;
};

inline BatchBlocks batch_blocks(std::int64_t n, std::int64_t work_per_example) {
  constexpr std::int64_t kMinRows = 32;
  constexpr std::int64_t kMaxBlocks = 4;
  constexpr double kWorkPerBlock = 1 << 22;
  const double work = static_cast<double>(n) * static_cast<double>(work_per_example);
  const std::int64_t wanted = std::clamp<std::int64_t>(
      std::min(static_cast<std::int64_t>(work / kWorkPerBlock), n / kMinRows), 1, kMaxBlocks);
  const std::int64_t size = (n + wanted - 1) / wanted;
  return {size, (n + size - 1) / size};
}

// Calls body(first_row, last_row) for every block of batch_blocks(n, work),
// the blocks spread over the threads.
template <class Body>
void for_each_batch_block(std::int64_t n, std::int64_t work_per_example, Body&& body) {
  const BatchBlocks blocks = batch_blocks(n, work_per_example);
  parallel_for(blocks.count, 1, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t block = first; block < last; ++block) {
      body(block * blocks.size, std::min(n, (block + 1) * blocks.size));
    }
  });
}

}  // namespace tg
