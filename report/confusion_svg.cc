// render_confusion_svg (report/confusion.h): a grid of cells, rows the true
// classes and columns the predictions, drawn with report/svg_elements.h.
#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "report/confusion.h"
#include "report/svg_elements.h"

namespace tg {
namespace {

using namespace svg;  // the drawing pieces

constexpr const char* kFont = "DejaVu Sans, Helvetica, Arial, sans-serif";
constexpr const char* kCellColour = "#1f77b4";
constexpr double kTitleFontSize = 15;
constexpr double kGridWidth = 480;  // cells shrink to fit more classes
constexpr double kMaxCell = 48;
constexpr double kMinCell = 4;
constexpr double kMinCellForText = 18;  // smaller cells go without their counts
constexpr std::size_t kMaxNameCodePoints = 18;

}  // namespace

std::string render_confusion_svg(const ConfusionMatrix& matrix, std::string_view title) {
  const std::int64_t n = matrix.num_classes();
  const double cell = std::clamp(kGridWidth / static_cast<double>(n), kMinCell, kMaxCell);
  const bool with_text = cell >= kMinCellForText;
  double names_width = 0;
  for (const std::string& name : matrix.class_names()) {
    names_width =
        std::max(names_width, text_width(shortened(name, kMaxNameCodePoints), kTickFontSize));
  }
  const Box grid{std::max(120.0, names_width + 64), 84, 0, 0};
  const Box box{grid.left, grid.top, grid.left + cell * static_cast<double>(n),
                grid.top + cell * static_cast<double>(n)};
  const double width = box.right + 90, height = box.bottom + 56;

  std::string out;
  fmt::format_to(std::back_inserter(out),
                 R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" )"
                 R"(viewBox="0 0 {0} {1}" font-family="{2}">)"
                 "\n<title>{3}</title>\n"
                 R"(<rect width="100%" height="100%" fill="white"/>)"
                 "\n",
                 number(width), number(height), kFont, xml_text(title));
  draw_text(out, width / 2, 26, shortened(title, 90), kTitleFontSize, "middle",
            R"(font-weight="bold" fill="#111111")");
  draw_text(out, box.centre_x(), 50,
            fmt::format("predicted class (accuracy {:.2f}% of {})", 100 * matrix.accuracy(),
                        matrix.total()),
            kLabelFontSize, "middle");
  draw_text(out, box.right + 45, box.top - 10, "accuracy", kTickFontSize, "middle");
  fmt::format_to(std::back_inserter(out),
                 R"(<text x="16" y="{0}" font-size="{1}" text-anchor="middle" )"
                 R"svg(transform="rotate(-90 16 {0})">true class</text>)svg"
                 "\n",
                 number(box.centre_y()), kLabelFontSize);

  for (std::int64_t i = 0; i < n; ++i) {
    const double y = box.top + cell * static_cast<double>(i);
    const double row_examples =
        static_cast<double>(std::max<std::int64_t>(matrix.examples_of(i), 1));
    if (with_text || i % 5 == 0) {
      const std::string label =
          fmt::format("{} {}", i, shortened(matrix.class_names()[i], kMaxNameCodePoints));
      draw_text(out, box.left - 8, y + cell / 2 + 4, label, kTickFontSize, "end");
      draw_text(out, box.left + cell * (static_cast<double>(i) + 0.5), box.top - 10,
                std::to_string(i), kTickFontSize, "middle");
      draw_text(out, box.right + 45, y + cell / 2 + 4,
                fmt::format("{:.1f}%", 100 * matrix.class_accuracy(i)), kTickFontSize, "middle");
    }
    for (std::int64_t j = 0; j < n; ++j) {
      const double x = box.left + cell * static_cast<double>(j);
      const double fraction = static_cast<double>(matrix.count(i, j)) / row_examples;
      fmt::format_to(
          std::back_inserter(out),
          R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}" fill-opacity="{:.3f}" )"
          R"(stroke="#dddddd" stroke-width="0.5"><title>true {}, predicted {}: {}</title></rect>)"
          "\n",
          number(x), number(y), number(cell), number(cell), kCellColour, fraction, i, j,
          matrix.count(i, j));
      if (with_text && matrix.count(i, j) > 0) {
        draw_text(out, x + cell / 2, y + cell / 2 + 4, std::to_string(matrix.count(i, j)),
                  cell >= 36 ? kTickFontSize : 9, "middle",
                  fraction > 0.5 ? R"(fill="white")" : R"(fill="#111111")");
      }
    }
  }
  out += "</svg>\n";
  return out;
}

}  // namespace tg
