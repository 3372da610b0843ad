// The pieces curves.svg is drawn with: boxes and panel frames, line styles,
// escaped text, polylines with markers, axes with ticks and labels, legends.
// Each draw_* function appends SVG elements to `out`.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "report/curve_points.h"
#include "report/plot_axis.h"

namespace tg::svg {

inline constexpr double kTickFontSize = 11;
inline constexpr double kLabelFontSize = 12;

struct Box {
  double left, top, right, bottom;
  double width() const { return right - left; }
  double height() const { return bottom - top; }
  double centre_x() const { return (left + right) / 2; }
  double centre_y() const { return (top + bottom) / 2; }
};

// A panel: its box on the page and the data ranges it shows.
struct Frame {
  Box box;
  PlotAxis x;
  PlotAxis y;

  double to_px(double value) const { return map(value, x.low, x.high, box.left, box.right); }
  double to_py(double value) const { return map(value, y.low, y.high, box.bottom, box.top); }

 private:
  // Clamped far outside the page (the panel's clip path hides the rest) so
  // that no coordinate is ever huge or NaN.
  static double map(double v, double low, double high, double from, double to) {
    const double pixel = from + (v - low) / (high - low) * (to - from);
    return std::isnan(pixel) ? from : std::clamp(pixel, -1e5, 1e5);
  }
};

enum class Marker { none, filled, hollow };

struct LineStyle {
  std::string colour;
  double width = 1.5;
  double opacity = 1;
  bool dashed = false;
  Marker marker = Marker::none;
};

struct LegendEntry {
  LineStyle style;
  std::string label;
};

// Text for an SVG text node or attribute: valid UTF-8 (a bad byte becomes
// U+FFFD), no control characters (XML 1.0 forbids most of them), & < > " '
// escaped.
std::string xml_text(std::string_view text);
// Rough width of a text in px (about 0.6 em per character in a sans font).
double text_width(std::string_view text, double font_size);
// At most max_code_points code points of valid UTF-8, "…" ending a cut text.
std::string shortened(std::string_view text, std::size_t max_code_points);
// A coordinate as written in the SVG: one decimal.
std::string number(double value);

// A line through the points (a dot for a single point), with a marker at
// each point when asked.
void draw_curve(std::string& out, const Frame& frame, const std::vector<CurvePoint>& points,
                const LineStyle& style, std::string_view css_class, bool with_markers);
void draw_text(std::string& out, double x, double y, std::string_view text, double font_size,
               std::string_view anchor, std::string_view extra = "");
// Grid, frame, ticks and their labels, and the axis labels.
void draw_axes(std::string& out, const Frame& frame, std::string_view x_label,
               std::string_view y_label, double leftmost);
// A grey message in the middle of an empty panel.
void draw_no_data(std::string& out, const Box& box, std::string_view message);
// Opens a group clipped to the box (close it with "</g>").
void begin_clipped(std::string& out, const Box& box, std::string_view id);

// Legend entries split into rows that fit in `width`.
std::vector<std::vector<LegendEntry>> legend_rows(const std::vector<LegendEntry>& entries,
                                                  double width);
// One row of entries centred on centre_x, text baseline at y.
void draw_legend_row(std::string& out, const std::vector<LegendEntry>& row, double centre_x,
                     double y);

}  // namespace tg::svg
