#include "report/plot_axis.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tg {
namespace {

// The next nice step after `step`: 1 -> 2 -> 5 -> 10.
double next_nice_step(double step) { return nice_step(step * 1.000001); }

// The number of ticks nice_axis would give for this step.
double tick_count(double low, double high, double step, bool snap) {
  const double first = snap ? std::floor(low / step) : std::ceil(low / step - 1e-9);
  const double last = snap ? std::ceil(high / step) : std::floor(high / step + 1e-9);
  return last - first + 1;
}

}  // namespace

double nice_step(double rough) {
  const double exponent = std::floor(std::log10(rough));
  const double power = std::pow(10.0, exponent);
  const double fraction = rough / power;  // in [1, 10)
  for (double nice : {1.0, 2.0, 5.0}) {
    if (fraction <= nice * (1 + 1e-12)) return nice * power;
  }
  return 10 * power;
}

PlotAxis nice_axis(const AxisRequest& request) {
  double low = std::min(request.low, request.high);
  double high = std::max(request.low, request.high);
  // A range too narrow for the doubles' precision becomes a visible one.
  const double magnitude = std::max(std::abs(low), std::abs(high));
  if (high - low <= magnitude * 1e-9) {
    const double centre = (low + high) / 2;
    const double half = centre != 0 ? std::abs(centre) * 0.1 : 1.0;
    low = centre - half;
    high = centre + half;
  }
  // Snapped outwards, a range across 0 needs at least the ticks -s, 0, s.
  const int fewest = request.snap && low < 0 && high > 0 ? 3 : 2;
  const int max_ticks = std::max(fewest, request.max_ticks);
  double step = std::max(nice_step((high - low) / (max_ticks - 1)), request.min_step);
  while (tick_count(low, high, step, request.snap) > max_ticks) step = next_nice_step(step);

  PlotAxis axis;
  axis.step = step;
  axis.low = request.snap ? std::floor(low / step) * step : low;
  axis.high = request.snap ? std::ceil(high / step) * step : high;
  const double first = std::ceil(axis.low / step - 1e-9);
  const double last = std::floor(axis.high / step + 1e-9);
  for (double k = first; k <= last; ++k) {
    const double tick = k * step;
    axis.ticks.push_back(std::abs(tick) < step * 1e-9 ? 0.0 : tick);  // no "-0"
  }
  return axis;
}

std::vector<std::string> tick_labels(const PlotAxis& axis) {
  double largest = 0;
  for (double tick : axis.ticks) largest = std::max(largest, std::abs(tick));
  const int step_exponent = static_cast<int>(std::floor(std::log10(axis.step) + 1e-9));
  const int decimals = std::max(0, -step_exponent);

  std::vector<std::string> labels;
  labels.reserve(axis.ticks.size());
  const bool thousands = largest >= 1e4 && largest < 1e7 && step_exponent >= 3;
  const bool exponent_form = !thousands && (largest >= 1e6 || step_exponent < -4);
  for (double tick : axis.ticks) {
    if (thousands) {
      // step >= 1000: whole thousands
      labels.push_back(tick == 0 ? "0" : fmt::format("{:.0f}k", tick / 1000));
    } else if (exponent_form) {
      const int largest_exponent =
          largest > 0 ? static_cast<int>(std::floor(std::log10(largest))) : step_exponent;
      const int digits = std::max(0, largest_exponent - step_exponent);
      labels.push_back(tick == 0 ? "0" : fmt::format("{:.{}e}", tick, digits));
    } else {
      labels.push_back(fmt::format("{:.{}f}", tick, decimals));
    }
  }
  return labels;
}

}  // namespace tg
