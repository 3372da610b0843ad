#include "apps/spatial_batchnorm_report.h"

#include <fmt/format.h>

#include <cmath>

#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "graph/tensor.h"
#include "ops/layers/spatial_batchnorm.h"

namespace tg {
namespace {

ChannelStats channel_stats(const Tensor& x) {
  const std::int64_t n = x.dim(0), c = x.dim(1), plane = x.dim(2) * x.dim(3);
  const std::vector<double> v = x.to_vector();
  ChannelStats stats;
  for (std::int64_t k = 0; k < c; ++k) {
    double sum = 0, squares = 0;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t p = 0; p < plane; ++p) sum += v[(i * c + k) * plane + p];
    const double mean = sum / static_cast<double>(n * plane);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t p = 0; p < plane; ++p) {
        const double d = v[(i * c + k) * plane + p] - mean;
        squares += d * d;
      }
    stats.means.push_back(mean);
    stats.stds.push_back(std::sqrt(squares / static_cast<double>(n * plane)));
  }
  return stats;
}

Tensor vector_tensor(const std::vector<double>& values) {
  return Tensor::from_values({static_cast<std::int64_t>(values.size())}, values, DType::f64);
}

std::string format_stats(const ChannelStats& s) {
  return fmt::format("  Means:  [{:.8g}]\n  Stds:   [{:.8g}]\n", fmt::join(s.means, "  "),
                     fmt::join(s.stds, "  "));
}

}  // namespace

SpatialBatchnormReport run_spatial_batchnorm_check(std::uint64_t seed) {
  Rng rng(seed);
  const Shape shape{2, 3, 4, 5};
  SpatialBatchnormReport report;
  report.shape = shape;

  // Forward: statistics before and after, in training mode.
  const Tensor x = Tensor::randn(shape, rng, DType::f64, 10.0, 4.0);
  report.before = channel_stats(x);
  {
    BatchNormState bn;
    const auto out = spatial_batchnorm_forward(x, Tensor::ones({3}, DType::f64),
                                               Tensor::zeros({3}, DType::f64), bn);
    report.after_unit = channel_stats(out.out);
  }
  report.gamma = {3, 4, 5};
  report.beta = {6, 7, 8};
  {
    BatchNormState bn;
    const auto out =
        spatial_batchnorm_forward(x, vector_tensor(report.gamma), vector_tensor(report.beta), bn);
    report.after_affine = channel_stats(out.out);
  }

  // Backward against numerical gradients.
  Tensor bx = Tensor::randn(shape, rng, DType::f64, 12.0, 5.0);
  Tensor gamma = Tensor::randn({3}, rng, DType::f64);
  Tensor beta = Tensor::randn({3}, rng, DType::f64);
  const Tensor dout = Tensor::randn(shape, rng, DType::f64);
  const auto forward = [&](const Tensor&) {
    BatchNormState bn;
    return spatial_batchnorm_forward(bx, gamma, beta, bn).out;
  };
  const Tensor dx_num = eval_numerical_gradient_array(forward, bx, dout);
  const Tensor dgamma_num = eval_numerical_gradient_array(forward, gamma, dout);
  const Tensor dbeta_num = eval_numerical_gradient_array(forward, beta, dout);
  BatchNormState bn;
  const auto result = spatial_batchnorm_forward(bx, gamma, beta, bn);
  const NormGrads grads = spatial_batchnorm_backward(dout, result.cache);
  report.dx_error = rel_error(dx_num, grads.dx);
  report.dgamma_error = rel_error(dgamma_num, grads.dgamma);
  report.dbeta_error = rel_error(dbeta_num, grads.dbeta);
  return report;
}

std::string format_report(const SpatialBatchnormReport& r) {
  std::string out;
  out += "Before spatial batch normalization:\n";
  out += fmt::format("  Shape:  {}\n", r.shape.str()) + format_stats(r.before);
  out += "After spatial batch normalization:\n";
  out += fmt::format("  Shape:  {}\n", r.shape.str()) + format_stats(r.after_unit);
  out += fmt::format("After spatial batch normalization (nontrivial gamma = [{}], beta = [{}]):\n",
                     fmt::join(r.gamma, ", "), fmt::join(r.beta, ", "));
  out += fmt::format("  Shape:  {}\n", r.shape.str()) + format_stats(r.after_affine);
  out += "\nSpatial batch normalization backward pass (relative errors):\n";
  out += fmt::format("  dx error:      {:.6e}\n", r.dx_error);
  out += fmt::format("  dgamma error:  {:.6e}\n", r.dgamma_error);
  out += fmt::format("  dbeta error:   {:.6e}\n", r.dbeta_error);
  return out;
}

}  // namespace tg
