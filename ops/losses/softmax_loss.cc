#include "ops/losses/softmax_loss.h"

#include <cmath>

#include "graph/op.h"

namespace tg {
namespace {

constexpr char kOp[] = "softmax_loss";

template <class T>
double compute(const Tensor& scores, const Labels& labels, Tensor& dscores) {
  const std::int64_t n = scores.dim(0);
  const std::int64_t c = scores.dim(1);
  const T* s = scores.data<T>();
  T* d = dscores.data<T>();
  double total = 0.0;
  for (std::int64_t i = 0; i < n; ++i) {
    const T* row = s + i * c;
    T* grad = d + i * c;
    // Shift by the row maximum so exp() cannot overflow.
    T max = row[0];
    for (std::int64_t j = 1; j < c; ++j) max = std::max(max, row[j]);
    double sum = 0.0;
    for (std::int64_t j = 0; j < c; ++j) {
      grad[j] = std::exp(row[j] - max);
      sum += grad[j];
    }
    const double log_sum = std::log(sum);
    total -= static_cast<double>(row[labels[i]] - max) - log_sum;
    // d loss / d scores = (softmax - one_hot(y)) / N
    const T scale = static_cast<T>(1.0 / (sum * static_cast<double>(n)));
    for (std::int64_t j = 0; j < c; ++j) grad[j] *= scale;
    grad[labels[i]] -= static_cast<T>(1.0 / static_cast<double>(n));
  }
  return total / static_cast<double>(n);
}

}  // namespace

LossAndGrad softmax_loss_kernel(const Tensor& scores, const Labels& labels) {
  return run_loss_kernel(kOp, scores, labels,
                         [](auto zero, const Tensor& s, const Labels& y, Tensor& d) {
                           return compute<decltype(zero)>(s, y, d);
                         });
}

Var softmax_loss(const Var& scores, const Labels& labels) {
  Op op(kOp, {scores});
  return finish_loss(op, softmax_loss_kernel(op.input(0), labels));
}

}  // namespace tg
