// The confusion matrix tools/predict reports: counts, accuracies, its text
// and its SVG picture.
#include "report/confusion.h"

#include <doctest/doctest.h>

#include <string>

#include "graph/errors.h"

using namespace tg;

namespace {

ConfusionMatrix sample() {
  ConfusionMatrix m({"cat", "dog", "<bird>"});
  for (auto [label, predicted] : {std::pair{0, 0}, {0, 0}, {0, 1}, {1, 1}, {2, 0}, {2, 2}}) {
    m.add(label, predicted);
  }
  return m;
}

}  // namespace

TEST_CASE("Counts and accuracies") {
  const ConfusionMatrix m = sample();
  CHECK(m.total() == 6);
  CHECK(m.count(0, 0) == 2);
  CHECK(m.count(0, 1) == 1);
  CHECK(m.count(1, 0) == 0);
  CHECK(m.examples_of(2) == 2);
  CHECK(m.accuracy() == doctest::Approx(4.0 / 6));
  CHECK(m.class_accuracy(0) == doctest::Approx(2.0 / 3));
  CHECK(m.class_accuracy(2) == 0.5);
  CHECK(ConfusionMatrix({"a", "b"}).class_accuracy(1) == 0);
  ConfusionMatrix bad({"a", "b"});
  CHECK_THROWS_WITH_AS(bad.add(0, 2), "ConfusionMatrix: class 2 is outside 0..1", ArgumentError);
  CHECK_THROWS_WITH_AS(ConfusionMatrix({}), "ConfusionMatrix: needs at least one class",
                       ArgumentError);
}

TEST_CASE("The text: per-class accuracy, then the matrix") {
  const std::string text = confusion_text(sample());
  CHECK(text ==
        "     class   accuracy  examples\n"
        "  0  cat       0.6667         3\n"
        "  1  dog       1.0000         1\n"
        "  2  <bird>    0.5000         2\n"
        "\n"
        "confusion matrix (rows: true class, columns: predicted class)\n"
        "     0 1 2\n"
        "  0  2 1 0\n"
        "  1  0 1 0\n"
        "  2  1 0 1\n");
}

TEST_CASE("The SVG: counts in the cells, names escaped, accuracy per class") {
  const std::string svg = render_confusion_svg(sample(), "model & data");
  CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK(svg.find("</svg>\n") == svg.size() - 7);
  CHECK(svg.find("<title>model &amp; data</title>") != std::string::npos);
  CHECK(svg.find("2 &lt;bird&gt;") != std::string::npos);
  CHECK(svg.find("<title>true 0, predicted 1: 1</title>") != std::string::npos);
  CHECK(svg.find(">66.7%</text>") != std::string::npos);
  CHECK(svg.find("accuracy 66.67% of 6") != std::string::npos);
  // Many classes: smaller cells, no counts written in them.
  std::vector<std::string> names;
  for (int k = 0; k < 100; ++k) names.push_back(std::to_string(k));
  ConfusionMatrix big(names);
  big.add(3, 3);
  const std::string many = render_confusion_svg(big, "100 classes");
  CHECK(many.find("<title>true 99, predicted 99: 0</title>") != std::string::npos);
  CHECK(many.find(">1</text>") == std::string::npos);
}
