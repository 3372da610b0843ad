// Preparing a curve's points for drawing: smoothing and downsampling.
#pragma once

#include <cstddef>
#include <vector>

namespace tg {

struct CurvePoint {
  double x = 0;
  double y = 0;
};

// A centred moving average over the points in order (in index space): point
// i becomes the mean of points i - h .. i + h, h = half_width. Near the ends,
// where that window does not fit, the window of the same length at the end
// is used, and its least-squares line is evaluated at i instead of its mean
// (a local linear fit, which equals the mean for a centred window). So the
// curve has no lag, no pull towards later values at the start, and the same
// smoothing everywhere.
std::vector<CurvePoint> centred_moving_average(const std::vector<CurvePoint>& points,
                                               std::size_t half_width);

// At most `max_points` (>= 4) of the points, chosen so a line through them
// keeps the original's envelope: the first and the last point, and from each
// of (max_points - 2) / 2 equal runs of points its lowest and highest, in
// order. Fewer points are returned as they are.
std::vector<CurvePoint> downsample_keeping_extremes(const std::vector<CurvePoint>& points,
                                                    std::size_t max_points);

}  // namespace tg
