#include "report/curves_svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>

#include "report/curve_points.h"
#include "report/plot_axis.h"
#include "report/run_curves.h"
#include "report/svg_elements.h"

namespace tg {
namespace {

using namespace svg;  // the drawing pieces

constexpr double kWidth = 1000;
constexpr double kHeight = 420;  // with at most one row of run names
constexpr double kLegendRowHeight = 20;
constexpr std::size_t kMaxDrawnPoints = 2000;  // per line and run
constexpr std::size_t kMaxMarkers = 50;        // epochs per run beyond which markers are left out
constexpr const char* kFont = "DejaVu Sans, Helvetica, Arial, sans-serif";
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