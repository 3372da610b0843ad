#include "ops/recurrent/temporal_softmax_loss.h"

#include <fmt/format.h>

#include <algorithm>

#include "graph/checks.h"
#include "graph/eigen.h"
#include "graph/op.h"
#include "graph/parallel.h"

namespace tg {
namespace {

constexpr char kOp[] = "temporal_softmax_loss";

void check_inputs(const Tensor& x, const Indices& y, const Mask& mask) {
  check_rank(kOp, "x (N, T, V)", x, 3);
  const Shape steps{x.dim(0), x.dim(1)};
  if (y.shape() != steps) {
    fail(kOp, "y must have shape (N, T) = {} for x {}, got {}", steps.str(), shape_str(x),
         y.shape().str());
  }
  if (mask.shape() != steps) {
    fail(kOp, "mask must have shape (N, T) = {} for x {}, got {}", steps.str(), shape_str(x),
         mask.shape().str());
  }
  const std::int64_t vocabulary = x.dim(2);
  for (std::size_t p = 0; p < y.values().size(); ++p) {
    const std::int64_t word = y.values()[p];
    if (word < 0 || word >= vocabulary) {
      fail(kOp, "y({},{}) is {}, outside the vocabulary [0, {}) (V, the last axis of x {})",
           static_cast<std::int64_t>(p) / x.dim(1), static_cast<std::int64_t>(p) % x.dim(1), word,
           vocabulary, shape_str(x));
    }
  }
}

// Every row (one step of one sequence) on its own; the rows' losses are
// added in order afterwards, so the sum does not depend on the threads.
template <class T>
double compute(const Tensor& x, const Indices& y, const Mask& mask, Tensor& dx) {
  const std::int64_t rows = x.dim(0) * x.dim(1), v = x.dim(2);
  const double inverse_n = 1.0 / static_cast<double>(x.dim(0));
  std::vector<double> row_loss(static_cast<std::size_t>(rows), 0.0);
  parallel_for(rows, grain_for(4 * v), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t r = first; r < last; ++r) {
      ArrayView<T> grad(dx.data<T>() + r * v, v);
      if (!mask.values()[r]) {
        grad.setZero();
        continue;
      }
      ConstArrayView<T> scores(x.data<T>() + r * v, v);
      // Shifted by the row maximum so exp() cannot overflow.
      const T max = scores.maxCoeff();
      grad = (scores - max).exp();
      const double sum = static_cast<double>(grad.sum());
      const std::int64_t word = y.values()[r];
      row_loss[r] = std::log(sum) - static_cast<double>(scores[word] - max);
      grad *= static_cast<T>(inverse_n / sum);
      grad[word] -= static_cast<T>(inverse_n);
    }
  });
  double total = 0.0;
  for (double loss : row_loss) total += loss;
  return total * inverse_n;
}

}  // namespace

Mask::Mask(std::vector<bool> values, const Shape& shape)
    : values_(std::move(values)), shape_(shape) {
  if (static_cast<std::int64_t>(values_.size()) != shape_.numel()) {
    throw ArgumentError(fmt::format("Mask: shape {} needs {} values, got {}", shape_.str(),
                                    shape_.numel(), values_.size()));
  }
}

Mask Mask::all(const Shape& shape) {
  return Mask(std::vector<bool>(static_cast<std::size_t>(shape.numel()), true), shape);
}

std::int64_t Mask::count() const { return std::count(values_.begin(), values_.end(), true); }

LossAndGrad temporal_softmax_loss_kernel(const Tensor& x, const Indices& y, const Mask& mask) {
  check_inputs(x, y, mask);
  Tensor dx = Tensor::empty(x.shape(), x.dtype());
  const double loss =
      dispatch(x.dtype(), [&](auto zero) { return compute<decltype(zero)>(x, y, mask, dx); });
  return {loss, std::move(dx)};
}

Var temporal_softmax_loss(const Var& x, const Indices& y, const Mask& mask) {
  Op op(kOp, {x});
  return finish_loss(op, temporal_softmax_loss_kernel(op.input(0), y, mask));
}

}  // namespace tg
