#include "ops/losses/svm_loss.h"

#include "graph/op.h"

namespace tg {
namespace {

constexpr char kOp[] = "svm_loss";

template <class T>
double compute(const Tensor& scores, const Labels& labels, Tensor& dscores) {
  const std::int64_t n = scores.dim(0), c = scores.dim(1);
  const T* s = scores.data<T>();
  T* d = dscores.data<T>();
  const T share = static_cast<T>(1.0 / static_cast<double>(n));
  double total = 0.0;
  for (std::int64_t i = 0; i < n; ++i) {
    const T* row = s + i * c;
    T* grad = d + i * c;
    const std::int64_t y = labels[i];
    std::int64_t violations = 0;
    for (std::int64_t j = 0; j < c; ++j) {
      const T margin = row[j] - row[y] + T(1);
      if (j != y && margin > 0) {
        total += margin;
        grad[j] = share;
        ++violations;
      } else {
        grad[j] = 0;
      }
    }
    grad[y] = -static_cast<T>(violations) * share;
  }
  return total / static_cast<double>(n);
}

}  // namespace

LossAndGrad svm_loss_kernel(const Tensor& scores, const Labels& labels) {
  return run_loss_kernel(kOp, scores, labels,
                         [](auto zero, const Tensor& s, const Labels& y, Tensor& d) {
                           return compute<decltype(zero)>(s, y, d);
                         });
}

Var svm_loss(const Var& scores, const Labels& labels) {
  Op op(kOp, {scores});
  return finish_loss(op, svm_loss_kernel(op.input(0), labels));
}

}  // namespace tg
