// Axis ranges and tick marks for plots, at "nice" steps of 1, 2 or 5 x 10^k.
#pragma once

#include <string>
#include <vector>

namespace tg {

struct PlotAxis {
  double low = 0;  // the range drawn
  double high = 1;
  double step = 1;            // between ticks
  std::vector<double> ticks;  // the multiples of step in [low, high]
};

// The smallest step of the form 1, 2 or 5 x 10^k that is >= rough (> 0).
double nice_step(double rough);

struct AxisRequest {
  double low = 0;  // the data range to show (finite; any order or equal ends)
  double high = 1;
  int max_ticks = 7;    // at most this many ticks (2 is raised to 3 for a snapped range across 0)
  double min_step = 0;  // e.g. 1 for integer quantities
  bool snap = true;     // widen the range out to the ticks just outside it
};

// A range covering request's [low, high] with the finest nice step that keeps
// at most max_ticks ticks. An empty range (low == high) is widened around its
// value first.
PlotAxis nice_axis(const AxisRequest& request);

// Labels for the axis's ticks, all with the same number of decimals, enough
// to tell neighbours apart ("0.5", "1.0", "1.5"); large round numbers in
// thousands ("20k"), very large or small ones in exponent form ("2e-07").
std::vector<std::string> tick_labels(const PlotAxis& axis);

}  // namespace tg
