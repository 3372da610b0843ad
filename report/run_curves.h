// What curves.svg shows of one run, and the axes that fit several runs:
// raw and smoothed losses per iteration, accuracies per epoch.
#pragma once

#include <vector>

#include "report/curve_points.h"
#include "report/history.h"
#include "report/plot_axis.h"

namespace tg::svg {

struct RunCurves {
  std::vector<CurvePoint> raw_loss;
  std::vector<CurvePoint> smoothed_loss;
  std::vector<CurvePoint> train_acc;
  std::vector<CurvePoint> val_acc;
};

// The curves of a history; NaN, infinite and huge values are left out.
RunCurves curves_of(const History& history);

// Axes whose tick labels fit along `length` px, for all the runs' curves.
PlotAxis loss_x_axis(const std::vector<RunCurves>& runs, double length);
PlotAxis loss_y_axis(const std::vector<RunCurves>& runs, double length);
PlotAxis epoch_axis(const std::vector<RunCurves>& runs, double length);
PlotAxis accuracy_axis(const std::vector<RunCurves>& runs, double length);

}  // namespace tg::svg
