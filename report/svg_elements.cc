#include "report/svg_elements.h"

#include <fmt/format.h>

#include <iterator>

#include "report/json.h"

namespace tg::svg {
namespace {

// The first byte of each UTF-8 code point (continuation bytes are 10xxxxxx).
bool starts_code_point(char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }

// The text as valid UTF-8: nlohmann-json replaces each invalid sequence with
// U+FFFD when it writes a string, and reads the result back.
std::string valid_utf8(std::string_view text) {
  return Json::parse(json_text(Json(std::string(text)))).get<std::string>();
}

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

}  // namespace

std::string xml_text(std::string_view text) {
  std::string out;
  for (char c : valid_utf8(text)) {
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

double text_width(std::string_view text, double font_size) {
  const auto code_points = std::count_if(text.begin(), text.end(), starts_code_point);
  return static_cast<double>(code_points) * font_size * 0.6;
}

std::string shortened(std::string_view text, std::size_t max_code_points) {
  const std::string valid = valid_utf8(text);
  if (static_cast<std::size_t>(std::count_if(valid.begin(), valid.end(), starts_code_point)) <=
      max_code_points) {
    return valid;
  }
  if (max_code_points == 0) return "";
  // Keep max_code_points - 1 code points, then the ellipsis.
  std::size_t kept = 0, end = 0;
  for (; end < valid.size(); ++end) {
    if (starts_code_point(valid[end])) {
      if (kept == max_code_points - 1) break;
      ++kept;
    }
  }
  return valid.substr(0, end) + "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS
}

// ---- drawing ---------------------------------------------------------------

std::string number(double value) { return fmt::format("{:.1f}", value); }

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
               std::string_view anchor, std::string_view extra) {
  fmt::format_to(std::back_inserter(out),
                 R"(<text x="{}" y="{}" font-size="{}" text-anchor="{}"{}{}>{}</text>)"
                 "\n",
                 number(x), number(y), font_size, anchor, extra.empty() ? "" : " ", extra,
                 xml_text(text));
}

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

namespace {

constexpr double kSwatchWidth = 26;
constexpr double kSwatchGap = 6;  // between swatch and label
constexpr double kEntryGap = 22;  // between entries

double entry_width(const LegendEntry& entry) {
  return kSwatchWidth + kSwatchGap + text_width(entry.label, kLabelFontSize);
}

}  // namespace

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

}  // namespace tg::svg
