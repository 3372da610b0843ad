#include "graph/checks.h"

namespace tg {
namespace {

void check_defined_nonempty(std::string_view op, std::string_view what, const Tensor& t) {
  if (!t.defined()) fail(op, "{} is undefined (an empty Tensor handle)", what);
  for (std::int64_t d : t.shape()) {
    if (d == 0) fail(op, "{} has a zero-size dimension, shape {}", what, t.shape().str());
  }
}

}  // namespace

void check_rank(std::string_view op, std::string_view what, const Tensor& t, int rank) {
  if (t.defined() && t.rank() != rank) {
    fail(op, "{} must have rank {}, got shape {}", what, rank, t.shape().str());
  }
  check_defined_nonempty(op, what, t);
}

void check_min_rank(std::string_view op, std::string_view what, const Tensor& t, int rank) {
  if (t.defined() && t.rank() < rank) {
    fail(op, "{} must have rank {} or more, got shape {}", what, rank, t.shape().str());
  }
  check_defined_nonempty(op, what, t);
}

void check_shape(std::string_view op, std::string_view what, const Tensor& t,
                 const Shape& expected) {
  if (!t.defined()) fail(op, "{} is undefined (an empty Tensor handle)", what);
  if (t.shape() != expected) {
    fail(op, "{} must have shape {}, got {}", what, expected.str(), t.shape().str());
  }
}

void check_same_dtype(std::string_view op, std::string_view what_a, const Tensor& a,
                      std::string_view what_b, const Tensor& b) {
  if (a.dtype() != b.dtype()) {
    fail(op, "{} is {} but {} is {}", what_a, name_of(a.dtype()), what_b, name_of(b.dtype()));
  }
}

void check_vector(std::string_view op, std::string_view what, const Tensor& t, std::int64_t n) {
  if (!t.defined()) fail(op, "{} is undefined (an empty Tensor handle)", what);
  if (t.rank() != 1 || t.dim(0) != n) {
    fail(op, "{} must have shape ({}), got {}", what, n, t.shape().str());
  }
}

}  // namespace tg

#include "graph/labels.h"

namespace tg {

void check_labels(std::string_view op, const Labels& labels, std::int64_t n,
                  std::int64_t num_classes) {
  if (static_cast<std::int64_t>(labels.size()) != n) {
    fail(op, "expected {} labels (one per row of the scores), got {}", n, labels.size());
  }
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= num_classes) {
      fail(op, "label {} is {}, outside [0, {})", i, labels[i], num_classes);
    }
  }
}

}  // namespace tg
