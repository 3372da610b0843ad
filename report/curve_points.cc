#include "report/curve_points.h"

#include <algorithm>
#include <cmath>

namespace tg {

std::vector<CurvePoint> centred_moving_average(const std::vector<CurvePoint>& points,
                                               std::size_t half_width) {
  const std::size_t n = points.size();
  if (n == 0) return {};
  // Window sums of y and u*y (u = index) as differences of prefix sums, kept
  // in two bands: ordinary values, and huge ones (a diverging loss). A window
  // without huge values then gets exactly 0 from the huge band, so a 1e30
  // spike cannot wipe out the precision of the ordinary values after it.
  constexpr double kHuge = 1e4;
  struct Sums {
    long double y = 0;
    long double uy = 0;
  };
  std::vector<Sums> ordinary(n + 1);
  std::vector<Sums> huge(n + 1);
  for (std::size_t u = 0; u < n; ++u) {
    const long double y = points[u].y;
    const bool is_huge = std::abs(points[u].y) > kHuge;
    ordinary[u + 1] = ordinary[u];
    huge[u + 1] = huge[u];
    Sums& band = is_huge ? huge[u + 1] : ordinary[u + 1];
    band.y += y;
    band.uy += static_cast<long double>(u) * y;
  }
  const auto window_sum = [&](std::size_t begin, std::size_t end) {
    return Sums{(ordinary[end].y - ordinary[begin].y) + (huge[end].y - huge[begin].y),
                (ordinary[end].uy - ordinary[begin].uy) + (huge[end].uy - huge[begin].uy)};
  };

  const std::size_t m = std::min(n, 2 * half_width + 1);  // window length
  const long double length = static_cast<long double>(m);
  // Sum of (u - mean u)^2 over m consecutive integers.
  const long double spread = length * (length * length - 1) / 12;
  std::vector<CurvePoint> smoothed(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t begin = std::min(i - std::min(i, half_width), n - m);
    const Sums sum = window_sum(begin, begin + m);
    const long double mean_u = static_cast<long double>(begin) + (length - 1) / 2;
    const long double mean_y = sum.y / length;
    // Least-squares slope over the window; it only matters where the window
    // is not centred on i, and there it removes the bias of a plain mean.
    const long double slope = spread > 0 ? (sum.uy - mean_u * sum.y) / spread : 0;
    const long double offset = static_cast<long double>(i) - mean_u;
    smoothed[i] = {points[i].x,
                   static_cast<double>(offset == 0 ? mean_y : mean_y + slope * offset)};
  }
  return smoothed;
}

std::vector<CurvePoint> downsample_keeping_extremes(const std::vector<CurvePoint>& points,
                                                    std::size_t max_points) {
  const std::size_t n = points.size();
  max_points = std::max<std::size_t>(max_points, 4);
  if (n <= max_points) return points;
  const std::size_t buckets = (max_points - 2) / 2;
  std::vector<CurvePoint> kept;
  kept.reserve(max_points);
  kept.push_back(points.front());
  // The inner points 1 .. n-2 in `buckets` runs of nearly equal length.
  const std::size_t inner = n - 2;
  for (std::size_t b = 0; b < buckets; ++b) {
    const std::size_t begin = 1 + b * inner / buckets;
    const std::size_t end = 1 + (b + 1) * inner / buckets;
    if (begin == end) continue;
    const auto by_y = [](const CurvePoint& a, const CurvePoint& c) { return a.y < c.y; };
    const auto [lowest, highest] =
        std::minmax_element(points.begin() + begin, points.begin() + end, by_y);
    const auto first = std::min(lowest, highest);
    const auto second = std::max(lowest, highest);
    kept.push_back(*first);
    if (second != first) kept.push_back(*second);
  }
  kept.push_back(points.back());
  return kept;
}

}  // namespace tg
