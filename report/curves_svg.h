// Loss and accuracy curves of one or more runs, drawn as an SVG document that
// a browser shows as it is.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "report/history.h"

namespace tg {

// One run of an overlay, named in the legend.
struct LabeledHistory {
  std::string label;
  History history;
};

// A self-contained SVG of 1000 x 420 px (taller when the legend of many runs
// needs more rows) under `title` (when empty: the runs' labels), with two
// panels:
//  - left: training loss per iteration, raw (faint) and smoothed by a centred
//    moving average over about 3% of the iterations, at least 11 when
//    there are enough (see curve_points.h);
//    NaN and infinite losses are left out;
//  - right: train (solid) and validation (dashed) accuracy per epoch.
// Each run has its own colour in both panels (a fixed palette of 10, then
// repeated). Runs of more than 2000 iterations have their raw losses
// downsampled for drawing, keeping the extremes; the smoothing uses them all.
// Empty histories give empty panels that say so.
std::string render_curves_svg(const std::vector<LabeledHistory>& runs, std::string_view title);

// One run.
std::string render_curves_svg(const History& history, std::string_view label,
                              std::string_view title);

}  // namespace tg
