#include "report/curves_svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>

#include "report/curve_points.h"
#include "report/plot_axis.h"
#include "report/utf8.h"

namespace tg {
namespace {

constexpr double kWidth = 1000;
constexpr double kHeight = 420;  // with at most one row of run names
constexpr double kLegendRowHeight = 20;
constexpr std::size_t kMaxDrawnPoints = 2000;  // per line and run
constexpr std::size_t kMaxMarkers = 50;        // epochs per run beyond which markers are left out
constexpr double kLargestDrawn = 1e100;        // larger values are left out like infinities
constexpr const char* kFont = "DejaVu Sans, Helvetica, Arial, sans-serif";
constexpr double kTickFontSize = 11;
constexpr double kLabelFontSize = 12;
constexpr double kTitleFontSize = 16;
constexpr std::size_t kMaxTitleCodePoints = 100;
constexpr std::size_t kMaxLabelCodePoints = 40;

// Tableau's 10 colours: distinct, and readable on white.
constexpr std::array<const char*, 10> kPalette = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                                  "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                                  "#bcbd22", "#17becf"};
constexpr const char* kKeyColour = "#555555";  // style keys of an overlay's legend

struct Run {
  std::string_view label;
  const History* history;
};

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

// ---- text ------------------------------------------------------------------

// Text for an SVG text node or attribute: valid UTF-8, no control characters
// (XML 1.0 forbids most of them), & < > " ' escaped.
std::string xml_text(std::string_view text) {
  std::string out;
  for (char c : to_valid_utf8(text)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
    }
  }
  return out;
}

// Rough width of a text in px (about 0.6 em per character in a sans font).
double text_width(std::string_view valid_utf8, double font_size) {
  return static_cast<double>(count_code_points(valid_utf8)) * font_size * 0.6;
}

std::string shortened(std::string_view text, std::size_t max_code_points) {
  return truncate_code_points(to_valid_utf8(text), max_code_points);
}

// ---- data ------------------------------------------------------------------

bool drawable(double value) { return std::isfinite(value) && std::abs(value) <= kLargestDrawn; }

std::vector<CurvePoint> raw_losses(const History& history) {
  std::vector<CurvePoint> points;
  points.reserve(history.iterations.size());
  for (const IterationRecord& r : history.iterations) {
    if (drawable(r.loss)) points.push_back({static_cast<double>(r.iteration), r.loss});
  }
  std::stable_sort(points.begin(), points.end(),
                   [](const CurvePoint& a, const CurvePoint& b) { return a.x < b.x; });
  return points;
}

std::vector<CurvePoint> smoothed_losses(const std::vector<CurvePoint>& raw) {
  // A window of about 3% of the run, and of 11 points (or 20%) for short runs.
  const std::size_t n = raw.size();
  return centred_moving_average(raw, std::max(n / 60, std::min<std::size_t>(n / 10, 5)));
}

template <class Accuracy>
std::vector<CurvePoint> accuracies(const History& history, Accuracy accuracy) {
  std::vector<CurvePoint> points;
  for (const EpochRecord& r : history.epochs) {
    if (drawable(accuracy(r))) points.push_back({static_cast<double>(r.epoch), accuracy(r)});
  }
  std::stable_sort(points.begin(), points.end(),
                   [](const CurvePoint& a, const CurvePoint& b) { return a.x < b.x; });
  return points;
}

struct RunCurves {
  std::vector<CurvePoint> raw_loss;
  std::vector<CurvePoint> smoothed_loss;
  std::vector<CurvePoint> train_acc;
  std::vector<CurvePoint> val_acc;
};

RunCurves curves_of(const History& history) {
  RunCurves curves;
  curves.raw_loss = raw_losses(history);
  curves.smoothed_loss = smoothed_losses(curves.raw_loss);
  curves.train_acc = accuracies(history, [](const EpochRecord& r) { return r.train_acc; });
  curves.val_acc = accuracies(history, [](const EpochRecord& r) { return r.val_acc; });
  return curves;
}

// The smallest and largest x or y over some point lists; nothing when empty.
struct Extent {
  double low = INFINITY;
  double high = -INFINITY;
  bool empty() const { return low > high; }
  void add(double v) {
    low = std::min(low, v);
    high = std::max(high, v);
  }
};

// The value below which a share `q` of the sorted values lies.
double quantile(std::vector<double> values, double q) {
  const auto at = values.begin() + static_cast<std::ptrdiff_t>(q * (values.size() - 1));
  std::nth_element(values.begin(), at, values.end());
  return *at;
}

// ---- axes ------------------------------------------------------------------

// The finest nice axis whose tick labels fit along `length` px without
// touching (horizontal) or crowding (vertical).
PlotAxis fitting_axis(AxisRequest request, double length, bool horizontal) {
  PlotAxis axis;
  for (; request.max_ticks >= 2; --request.max_ticks) {
    axis = nice_axis(request);
    if (axis.ticks.size() < 2) return axis;
    const double spacing = axis.step / (axis.high - axis.low) * length;
    double needed = 2.2 * kTickFontSize;
    if (horizontal) {
      double widest = 0;
      for (const std::string& label : tick_labels(axis)) {
        widest = std::max(widest, text_width(label, kTickFontSize));
      }
      needed = widest + 16;
    }
    if (spacing >= needed) return axis;
  }
  return axis;
}

PlotAxis loss_x_axis(const std::vector<RunCurves>& runs, double length) {
  Extent x;
  for (const RunCurves& run : runs) {
    if (!run.raw_loss.empty()) {
      x.add(run.raw_loss.front().x);
      x.add(run.raw_loss.back().x);
    }
  }
  if (x.empty()) return fitting_axis({0, 1, 6, 1, false}, length, true);
  if (x.low > 0 && x.low <= 0.05 * x.high) x.low = 0;  // start at 0 when it is close anyway
  if (x.low == x.high) return fitting_axis({x.low - 1, x.high + 1, 6, 1, false}, length, true);
  return fitting_axis({x.low, x.high, 9, 1, false}, length, true);
}

PlotAxis loss_y_axis(const std::vector<RunCurves>& runs, double length) {
  std::vector<double> raw;
  Extent smoothed;
  for (const RunCurves& run : runs) {
    for (const CurvePoint& p : run.raw_loss) raw.push_back(p.y);
    for (const CurvePoint& p : run.smoothed_loss) smoothed.add(p.y);
  }
  if (raw.empty()) return fitting_axis({0, 1, 6, 0, true}, length, false);
  // The top follows the smoothed curves and all but the highest 1% of raw
  // points, so a few spikes do not flatten the curve; they are clipped.
  const double low = *std::min_element(raw.begin(), raw.end());
  const double high = std::max(smoothed.high, quantile(raw, 0.99));
  // Losses are mostly positive: start at 0 unless that wastes half the panel.
  const double bottom = low >= 0 && low <= 0.5 * high ? 0 : low;
  return fitting_axis({bottom, high, 7, 0, true}, length, false);
}

PlotAxis epoch_axis(const std::vector<RunCurves>& runs, double length) {
  Extent x;
  for (const RunCurves& run : runs) {
    for (const auto* curve : {&run.train_acc, &run.val_acc}) {
      for (const CurvePoint& p : *curve) x.add(p.x);
    }
  }
  if (x.empty()) return fitting_axis({0, 1, 6, 1, false}, length, true);
  // Half an epoch either side, so the end markers are not cut by the frame.
  const double pad = std::max(0.5, 0.03 * (x.high - x.low));
  return fitting_axis({x.low - pad, x.high + pad, 11, 1, false}, length, true);
}

PlotAxis accuracy_axis(const std::vector<RunCurves>& runs, double length) {
  Extent y;
  for (const RunCurves& run : runs) {
    for (const auto* curve : {&run.train_acc, &run.val_acc}) {
      for (const CurvePoint& p : *curve) y.add(p.y);
    }
  }
  if (y.empty()) return fitting_axis({0, 1, 6, 0, true}, length, false);
  const double pad = std::max(0.02, 0.05 * (y.high - y.low));
  double low = y.low - pad;
  double high = y.high + pad;
  // Accuracies stay within [0, 1]; steps of 1, 2, 5 x 10^-k divide 1, so
  // snapping to ticks keeps them there.
  if (y.low >= 0 && y.high <= 1) {
    low = std::max(0.0, low);
    high = std::min(1.0, high);
  }
  return fitting_axis({low, high, 7, 0, true}, length, false);
}

// ---- drawing ---------------------------------------------------------------

std::string number(double value) { return fmt::format("{:.1f}", value); }

std::string stroke_attributes(const LineStyle& style) {
  std::string out =
      fmt::format(R"(fill="none" stroke="{}" stroke-width="{}")", style.colour, style.width);
  if (style.opacity < 1) out += fmt::format(R"( stroke-opacity="{}")", style.opacity);
  if (style.dashed) out += R"( stroke-dasharray="6 4")";
  return out;
}

void draw_marker(std::string& out, double x, double y, const LineStyle& style,
                 std::string_view css_class) {
  if (style.marker == Marker::none) return;
  const bool filled = style.marker == Marker::filled;
  fmt::format_to(
      std::back_inserter(out),
      R"(<circle class="{}" cx="{}" cy="{}" r="3" fill="{}" stroke="{}" stroke-width="1.5"/>)"
      "\n",
      css_class, number(x), number(y), filled ? style.colour : "white", style.colour);
}

// A line through the points, or a dot for a single point.
void draw_curve(std::string& out, const Frame& frame, const std::vector<CurvePoint>& points,
                const LineStyle& style, std::string_view css_class, bool with_markers) {
  if (points.empty()) return;
  if (points.size() == 1) {
    LineStyle dot = style;
    if (dot.marker == Marker::none) dot.marker = Marker::filled;
    draw_marker(out, frame.to_px(points[0].x), frame.to_py(points[0].y), dot, css_class);
    return;
  }
  out += fmt::format(R"(<polyline class="{}" {} stroke-linejoin="round" points=")", css_class,
                     stroke_attributes(style));
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (i > 0) out += ' ';
    out += number(frame.to_px(points[i].x));
    out += ',';
    out += number(frame.to_py(points[i].y));
  }
  out += "\"/>\n";
  if (with_markers) {
    for (const CurvePoint& p : points) {
      draw_marker(out, frame.to_px(p.x), frame.to_py(p.y), style, css_class);
    }
  }
}

void draw_text(std::string& out, double x, double y, std::string_view text, double font_size,
               std::string_view anchor, std::string_view extra = "") {
  fmt::format_to(std::back_inserter(out),
                 R"(<text x="{}" y="{}" font-size="{}" text-anchor="{}"{}{}>{}</text>)"
                 "\n",
                 number(x), number(y), font_size, anchor, extra.empty() ? "" : " ", extra,
                 xml_text(text));
}

// Grid, frame, ticks and their labels, and the axis labels.
void draw_axes(std::string& out, const Frame& frame, std::string_view x_label,
               std::string_view y_label, double leftmost) {
  const Box& b = frame.box;
  out += R"(<g stroke="#e6e6e6" stroke-width="1" shape-rendering="crispEdges">)"
         "\n";
  for (double tick : frame.x.ticks) {
    const double x = frame.to_px(tick);
    fmt::format_to(std::back_inserter(out),
                   R"(<line x1="{0}" y1="{1}" x2="{0}" y2="{2}"/>)"
                   "\n",
                   number(x), number(b.top), number(b.bottom));
  }
  for (double tick : frame.y.ticks) {
    const double y = frame.to_py(tick);
    fmt::format_to(std::back_inserter(out),
                   R"(<line x1="{1}" y1="{0}" x2="{2}" y2="{0}"/>)"
                   "\n",
                   number(y), number(b.left), number(b.right));
  }
  out += "</g>\n";
  fmt::format_to(std::back_inserter(out),
                 R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#999999" )"
                 R"(shape-rendering="crispEdges"/>)"
                 "\n",
                 number(b.left), number(b.top), number(b.width()), number(b.height()));

  out += R"(<g stroke="#999999" shape-rendering="crispEdges">)"
         "\n";
  for (double tick : frame.x.ticks) {
    fmt::format_to(std::back_inserter(out),
                   R"(<line x1="{0}" y1="{1}" x2="{0}" y2="{2}"/>)"
                   "\n",
                   number(frame.to_px(tick)), number(b.bottom), number(b.bottom + 4));
  }
  for (double tick : frame.y.ticks) {
    fmt::format_to(std::back_inserter(out),
                   R"(<line x1="{1}" y1="{0}" x2="{2}" y2="{0}"/>)"
                   "\n",
                   number(frame.to_py(tick)), number(b.left - 4), number(b.left));
  }
  out += "</g>\n";

  out += R"(<g fill="#333333">)"
         "\n";
  const std::vector<std::string> x_texts = tick_labels(frame.x);
  for (std::size_t i = 0; i < x_texts.size(); ++i) {
    draw_text(out, frame.to_px(frame.x.ticks[i]), b.bottom + 17, x_texts[i], kTickFontSize,
              "middle");
  }
  const std::vector<std::string> y_texts = tick_labels(frame.y);
  double widest = 0;
  for (std::size_t i = 0; i < y_texts.size(); ++i) {
    draw_text(out, b.left - 7, frame.to_py(frame.y.ticks[i]) + 4, y_texts[i], kTickFontSize, "end");
    widest = std::max(widest, text_width(y_texts[i], kTickFontSize));
  }
  out += "</g>\n";

  out += R"(<g fill="#222222">)"
         "\n";
  draw_text(out, b.centre_x(), b.bottom + 38, x_label, kLabelFontSize, "middle");
  const double y_label_x = std::max(leftmost + kLabelFontSize, b.left - 7 - widest - 10);
  draw_text(
      out, y_label_x, b.centre_y(), y_label, kLabelFontSize, "middle",
      fmt::format(R"~(transform="rotate(-90 {} {})")~", number(y_label_x), number(b.centre_y())));
  out += "</g>\n";
}

void draw_no_data(std::string& out, const Box& box, std::string_view message) {
  draw_text(out, box.centre_x(), box.centre_y(), message, kLabelFontSize, "middle",
            R"(fill="#999999")");
}

void begin_clipped(std::string& out, const Box& box, std::string_view id) {
  fmt::format_to(std::back_inserter(out),
                 R"(<clipPath id="{}"><rect x="{}" y="{}" width="{}" height="{}"/></clipPath>)"
                 "\n"
                 R"~(<g clip-path="url(#{})">)~"
                 "\n",
                 id, number(box.left), number(box.top), number(box.width()), number(box.height()),
                 id);
}

// ---- legend ----------------------------------------------------------------

constexpr double kSwatchWidth = 26;
constexpr double kSwatchGap = 6;  // between swatch and label
constexpr double kEntryGap = 22;  // between entries

double entry_width(const LegendEntry& entry) {
  return kSwatchWidth + kSwatchGap + text_width(entry.label, kLabelFontSize);
}

// Entries split into rows that fit in `width`.
std::vector<std::vector<LegendEntry>> legend_rows(const std::vector<LegendEntry>& entries,
                                                  double width) {
  std::vector<std::vector<LegendEntry>> rows;
  double used = 0;
  for (const LegendEntry& entry : entries) {
    const double w = entry_width(entry);
    if (rows.empty() || (used + kEntryGap + w > width && !rows.back().empty())) {
      rows.emplace_back();
      used = -kEntryGap;
    }
    rows.back().push_back(entry);
    used += kEntryGap + w;
  }
  return rows;
}

// One row of entries centred on centre_x, text baseline at y.
void draw_legend_row(std::string& out, const std::vector<LegendEntry>& row, double centre_x,
                     double y) {
  double total = -kEntryGap;
  for (const LegendEntry& entry : row) total += kEntryGap + entry_width(entry);
  double x = centre_x - total / 2;
  for (const LegendEntry& entry : row) {
    const double line_y = y - 4;
    fmt::format_to(std::back_inserter(out),
                   R"(<line x1="{}" y1="{}" x2="{}" y2="{}" {}/>)"
                   "\n",
                   number(x), number(line_y), number(x + kSwatchWidth), number(line_y),
                   stroke_attributes(entry.style));
    draw_marker(out, x + kSwatchWidth / 2, line_y, entry.style, "legend");
    draw_text(out, x + kSwatchWidth + kSwatchGap, y, entry.label, kLabelFontSize, "start",
              R"(fill="#222222")");
    x += kEntryGap + entry_width(entry);
  }
}

// ---- styles ----------------------------------------------------------------

struct RunStyles {
  LineStyle raw_loss, smoothed_loss, train_acc, val_acc;
};

// A single run uses two colours so train and validation differ at a glance;
// in an overlay, colour names the run and the dash tells train from val.
RunStyles styles_of(std::size_t run, std::size_t run_count, std::size_t epoch_count) {
  const std::string colour = kPalette[run % kPalette.size()];
  const Marker filled = epoch_count <= kMaxMarkers ? Marker::filled : Marker::none;
  const Marker hollow = epoch_count <= kMaxMarkers ? Marker::hollow : Marker::none;
  RunStyles styles;
  styles.raw_loss = {colour, 0.8, run_count == 1 ? 0.35 : 0.25, false, Marker::none};
  styles.smoothed_loss = {colour, 2, 1, false, Marker::none};
  styles.train_acc = {colour, 1.8, 1, false, filled};
  styles.val_acc = {run_count == 1 ? kPalette[1] : colour, 1.8, 1, true, hollow};
  return styles;
}

void draw_loss_panel(std::string& out, const Frame& frame, const std::vector<RunCurves>& curves,
                     const std::vector<RunStyles>& styles) {
  begin_clipped(out, frame.box, "loss-plot");
  // All raw lines first, so no run's faint line covers another's smoothed one.
  for (std::size_t r = 0; r < curves.size(); ++r) {
    draw_curve(out, frame, downsample_keeping_extremes(curves[r].raw_loss, kMaxDrawnPoints),
               styles[r].raw_loss, "raw-loss", false);
  }
  for (std::size_t r = 0; r < curves.size(); ++r) {
    draw_curve(out, frame, downsample_keeping_extremes(curves[r].smoothed_loss, kMaxDrawnPoints),
               styles[r].smoothed_loss, "smoothed-loss", false);
  }
  out += "</g>\n";
  const bool any = std::any_of(curves.begin(), curves.end(),
                               [](const RunCurves& c) { return !c.raw_loss.empty(); });
  if (!any) draw_no_data(out, frame.box, "no loss values yet");
}

void draw_accuracy_panel(std::string& out, const Frame& frame, const std::vector<RunCurves>& curves,
                         const std::vector<RunStyles>& styles) {
  begin_clipped(out, frame.box, "accuracy-plot");
  for (std::size_t r = 0; r < curves.size(); ++r) {
    // Dashed validation over solid train, so equal curves both show.
    draw_curve(out, frame, curves[r].train_acc, styles[r].train_acc, "train-acc", true);
    draw_curve(out, frame, curves[r].val_acc, styles[r].val_acc, "val-acc", true);
  }
  out += "</g>\n";
  const bool any = std::any_of(curves.begin(), curves.end(), [](const RunCurves& c) {
    return !c.train_acc.empty() || !c.val_acc.empty();
  });
  if (!any) draw_no_data(out, frame.box, "no epochs yet");
}

std::string render(const std::vector<Run>& runs, std::string_view title) {
  std::vector<RunCurves> curves;
  std::vector<RunStyles> styles;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    curves.push_back(curves_of(*runs[r].history));
    styles.push_back(styles_of(r, runs.size(), curves.back().train_acc.size()));
  }

  // Legends: style keys under each panel; run names (overlays only) below.
  const bool overlay = runs.size() > 1;
  const RunStyles keys = overlay          ? styles_of(0, 2, 0)
                         : styles.empty() ? styles_of(0, 1, 0)
                                          : styles.front();
  auto key = [&](LineStyle style) {
    if (overlay) style.colour = kKeyColour;
    return style;
  };
  LineStyle raw_key = key(keys.raw_loss);
  raw_key.width = 1.5;  // a swatch as faint as the line itself is hard to see
  raw_key.opacity = 0.5;
  const std::vector<LegendEntry> loss_keys = {{raw_key, "raw"},
                                              {key(keys.smoothed_loss), "smoothed"}};
  const std::vector<LegendEntry> accuracy_keys = {{key(keys.train_acc), "train"},
                                                  {key(keys.val_acc), "validation"}};
  std::vector<LegendEntry> run_entries;
  if (overlay) {
    for (std::size_t r = 0; r < runs.size(); ++r) {
      LineStyle swatch = styles[r].smoothed_loss;
      swatch.width = 4;
      run_entries.push_back({swatch, shortened(runs[r].label, kMaxLabelCodePoints)});
    }
  }
  const auto run_rows = legend_rows(run_entries, kWidth - 80);

  const double extra_rows = run_rows.empty() ? 0 : static_cast<double>(run_rows.size() - 1);
  const double height = kHeight + extra_rows * kLegendRowHeight;
  const double plot_bottom = overlay ? 318 : 338;
  const Box loss_box{78, 48, 470, plot_bottom};
  const Box accuracy_box{588, 48, 980, plot_bottom};
  Frame loss{loss_box, loss_x_axis(curves, loss_box.width()),
             loss_y_axis(curves, loss_box.height())};
  Frame accuracy{accuracy_box, epoch_axis(curves, accuracy_box.width()),
                 accuracy_axis(curves, accuracy_box.height())};

  std::string full_title(title);
  for (std::size_t r = 0; r < runs.size() && title.empty(); ++r) {
    full_title += (r > 0 ? ", " : "") + std::string(runs[r].label);
  }
  const std::string title_text = shortened(full_title, kMaxTitleCodePoints);

  std::string out;
  fmt::format_to(std::back_inserter(out),
                 R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" )"
                 R"(viewBox="0 0 {0} {1}" font-family="{2}">)"
                 "\n<title>{3}</title>\n"
                 R"(<rect width="100%" height="100%" fill="white"/>)"
                 "\n",
                 kWidth, height, kFont, xml_text(full_title));
  draw_text(out, kWidth / 2, 27, title_text, kTitleFontSize, "middle",
            R"(font-weight="bold" fill="#111111")");

  draw_axes(out, loss, "iteration", "loss", 0);
  draw_loss_panel(out, loss, curves, styles);
  draw_axes(out, accuracy, "epoch", "accuracy", loss_box.right + 24);
  draw_accuracy_panel(out, accuracy, curves, styles);

  const double keys_y = plot_bottom + 64;
  draw_legend_row(out, loss_keys, loss_box.centre_x(), keys_y);
  draw_legend_row(out, accuracy_keys, accuracy_box.centre_x(), keys_y);
  for (std::size_t row = 0; row < run_rows.size(); ++row) {
    draw_legend_row(out, run_rows[row], kWidth / 2,
                    keys_y + 26 + static_cast<double>(row) * kLegendRowHeight);
  }
  out += "</svg>\n";
  return out;
}

}  // namespace

std::string render_curves_svg(const std::vector<LabeledHistory>& runs, std::string_view title) {
  std::vector<Run> views;
  views.reserve(runs.size());
  for (const LabeledHistory& run : runs) views.push_back({run.label, &run.history});
  return render(views, title);
}

std::string render_curves_svg(const History& history, std::string_view label,
                              std::string_view title) {
  return render({{label, &history}}, title);
}

}  // namespace tg
