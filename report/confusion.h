// A confusion matrix: how often each true class was predicted as each class,
// as tools/predict reports it (text, and confusion.svg through
// render_confusion_svg).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tg {

class ConfusionMatrix {
 public:
  // One name per class, in class order. Throws ArgumentError for none.
  explicit ConfusionMatrix(std::vector<std::string> class_names);

  // Counts one example. Throws ArgumentError for a class outside the matrix.
  void add(std::int64_t label, std::int64_t predicted);

  std::int64_t num_classes() const { return static_cast<std::int64_t>(names_.size()); }
  const std::vector<std::string>& class_names() const { return names_; }
  // Examples of class `label` predicted as `predicted`.
  std::int64_t count(std::int64_t label, std::int64_t predicted) const;
  std::int64_t total() const { return total_; }
  std::int64_t examples_of(std::int64_t label) const;
  // The fraction predicted right: overall, and of the examples of one class
  // (0 when there are none).
  double accuracy() const;
  double class_accuracy(std::int64_t label) const;

 private:
  std::vector<std::string> names_;
  std::vector<std::int64_t> counts_;  // row-major, rows are the true classes
  std::int64_t total_ = 0;
};

// Per-class accuracy and the matrix as aligned text lines, rows the true
// classes, columns the predictions (numbered as in the rows' legend).
std::string confusion_text(const ConfusionMatrix& matrix);

// The matrix as an SVG picture: one cell per (true, predicted) pair holding
// its count, shaded by the fraction of the true class's examples, with the
// class names and each class's accuracy along the rows.
std::string render_confusion_svg(const ConfusionMatrix& matrix, std::string_view title);

}  // namespace tg
