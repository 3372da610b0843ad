#include "report/confusion.h"

#include <fmt/format.h>

#include <algorithm>

#include "graph/checks.h"

namespace tg {
namespace {

constexpr const char* kOp = "ConfusionMatrix";

}  // namespace

ConfusionMatrix::ConfusionMatrix(std::vector<std::string> class_names)
    : names_(std::move(class_names)), counts_(names_.size() * names_.size(), 0) {
  if (names_.empty()) fail(kOp, "needs at least one class");
}

void ConfusionMatrix::add(std::int64_t label, std::int64_t predicted) {
  for (std::int64_t k : {label, predicted}) {
    if (k < 0 || k >= num_classes()) {
      fail(kOp, "class {} is outside 0..{}", k, num_classes() - 1);
    }
  }
  ++counts_[static_cast<std::size_t>(label * num_classes() + predicted)];
  ++total_;
}

std::int64_t ConfusionMatrix::count(std::int64_t label, std::int64_t predicted) const {
  return counts_.at(static_cast<std::size_t>(label * num_classes() + predicted));
}

std::int64_t ConfusionMatrix::examples_of(std::int64_t label) const {
  std::int64_t sum = 0;
  for (std::int64_t j = 0; j < num_classes(); ++j) sum += count(label, j);
  return sum;
}

double ConfusionMatrix::accuracy() const {
  std::int64_t right = 0;
  for (std::int64_t k = 0; k < num_classes(); ++k) right += count(k, k);
  return total_ == 0 ? 0.0 : static_cast<double>(right) / static_cast<double>(total_);
}

double ConfusionMatrix::class_accuracy(std::int64_t label) const {
  const std::int64_t n = examples_of(label);
  return n == 0 ? 0.0 : static_cast<double>(count(label, label)) / static_cast<double>(n);
}

std::string confusion_text(const ConfusionMatrix& matrix) {
  const std::int64_t n = matrix.num_classes();
  std::size_t name_width = 5;  // "class"
  for (const std::string& name : matrix.class_names())
    name_width = std::max(name_width, name.size());
  std::size_t cell = std::to_string(n - 1).size();
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      cell = std::max(cell, std::to_string(matrix.count(i, j)).size());
    }
  }
  std::string out =
      fmt::format("{:>3}  {:<{}}  {:>8}  {:>8}\n", "", "class", name_width, "accuracy", "examples");
  for (std::int64_t i = 0; i < n; ++i) {
    out += fmt::format("{:>3}  {:<{}}  {:>8.4f}  {:>8}\n", i, matrix.class_names()[i], name_width,
                       matrix.class_accuracy(i), matrix.examples_of(i));
  }
  out += fmt::format("\nconfusion matrix (rows: true class, columns: predicted class)\n{:>3} ", "");
  for (std::int64_t j = 0; j < n; ++j) out += fmt::format(" {:>{}}", j, cell);
  out += '\n';
  for (std::int64_t i = 0; i < n; ++i) {
    out += fmt::format("{:>3} ", i);
    for (std::int64_t j = 0; j < n; ++j) out += fmt::format(" {:>{}}", matrix.count(i, j), cell);
    out += '\n';
  }
  return out;
}

}  // namespace tg
