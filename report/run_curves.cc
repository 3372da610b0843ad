#include "report/run_curves.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "report/svg_elements.h"

namespace tg::svg {
namespace {

constexpr double kLargestDrawn = 1e100;  // larger values are left out like infinities

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

}  // namespace

RunCurves curves_of(const History& history) {
  RunCurves curves;
  curves.raw_loss = raw_losses(history);
  curves.smoothed_loss = smoothed_losses(curves.raw_loss);
  curves.train_acc = accuracies(history, [](const EpochRecord& r) { return r.train_acc; });
  curves.val_acc = accuracies(history, [](const EpochRecord& r) { return r.val_acc; });
  return curves;
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

}  // namespace tg::svg
