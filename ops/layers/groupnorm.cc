#include "ops/layers/groupnorm.h"

#include <cmath>

#include "graph/checks.h"
#include "graph/op.h"
#include "graph/parallel.h"
#include "ops/kernels/reductions.h"

namespace tg {
namespace {

constexpr char kOp[] = "spatial_groupnorm";

// For fixed n, a group's channels are adjacent: each (n, group) is one
// contiguous block of group_channels * plane elements.
struct Layout {
  std::int64_t n, c, groups, plane;
  std::int64_t group_channels() const { return c / groups; }
  std::int64_t count() const { return group_channels() * plane; }  // elements per group
  std::int64_t channel_block(std::int64_t sample, std::int64_t channel) const {
    return (sample * c + channel) * plane;
  }
};

Layout layout_of(const Tensor& x, std::int64_t groups) {
  return {x.dim(0), x.dim(1), groups, x.dim(2) * x.dim(3)};
}

template <class T>
void forward(const Layout& l, const Tensor& x, const Tensor& gamma, const Tensor& beta, double eps,
             Tensor& out, NormCache& cache) {
  const T* in = x.data<T>();
  const T* g = gamma.data<T>();
  const T* b = beta.data<T>();
  T* o = out.data<T>();
  parallel_for(l.n * l.groups, grain_for(l.count()), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t ng = first; ng < last; ++ng) {
      const std::int64_t n = ng / l.groups, c0 = (ng % l.groups) * l.group_channels();
      const T* block = in + l.channel_block(n, c0);
      const double mean = block_sum(block, l.count()) / static_cast<double>(l.count());
      const double var = block_squared_deviation(block, l.count(), static_cast<T>(mean)) /
                         static_cast<double>(l.count());
      const double inv_std = 1.0 / std::sqrt(var + eps);
      cache.mean[ng] = mean;
      cache.inv_std[ng] = inv_std;
      for (std::int64_t c = c0; c < c0 + l.group_channels(); ++c) {
        const T scale = static_cast<T>(g[c] * inv_std);
        const T shift = static_cast<T>(b[c] - mean * g[c] * inv_std);
        block_affine(in + l.channel_block(n, c), l.plane, scale, shift, o + l.channel_block(n, c));
      }
    }
  });
}

// Per (n, group) with M elements, x_hat = (x - mean) * inv_std and
// dx_hat = dout * gamma[c]:
//   dx = inv_std / M * (M * dx_hat - sum(dx_hat) - x_hat * sum(dx_hat * x_hat))
//   dgamma[c] = sum over n, h, w of dout * x_hat;  dbeta[c] = sum of dout.
template <class T>
void backward(const Layout& l, const Tensor& dout, const NormCache& cache, NormGrads& grads) {
  const T* d = dout.data<T>();
  const T* in = cache.x.data<T>();
  const T* g = cache.gamma.data<T>();
  T* dx = grads.dx.data<T>();
  const double count = static_cast<double>(l.count());
  // Per (n, c): sum(dout) and sum(dout * (x - mean)), reused for dgamma and dbeta.
  std::vector<double> sum_d(l.n * l.c, 0.0), sum_dx(l.n * l.c, 0.0);
  parallel_for(l.n * l.groups, grain_for(l.count()), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t ng = first; ng < last; ++ng) {
      const std::int64_t n = ng / l.groups, c0 = (ng % l.groups) * l.group_channels();
      const double mean = cache.mean[ng], inv_std = cache.inv_std[ng];
      double sum_dxhat = 0, sum_dxhat_xhat = 0;
      for (std::int64_t c = c0; c < c0 + l.group_channels(); ++c) {
        const std::int64_t k = n * l.c + c;
        block_backward_sums(d + l.channel_block(n, c), in + l.channel_block(n, c), l.plane,
                            static_cast<T>(mean), sum_d[k], sum_dx[k]);
        sum_dxhat += g[c] * sum_d[k];
        sum_dxhat_xhat += g[c] * sum_dx[k] * inv_std;
      }
      // dx = inv_std / M * (M * gamma * dout - sum(gamma dout) - x_hat sum(gamma dout x_hat))
      for (std::int64_t c = c0; c < c0 + l.group_channels(); ++c) {
        const CentredDx<T> form{static_cast<T>(inv_std / count),
                                static_cast<T>(count * g[c]),
                                static_cast<T>(sum_dxhat),
                                static_cast<T>(sum_dxhat_xhat),
                                static_cast<T>(mean),
                                static_cast<T>(inv_std)};
        block_backward_dx(d + l.channel_block(n, c), in + l.channel_block(n, c), l.plane, form,
                          dx + l.channel_block(n, c));
      }
    }
  });
  T* dgamma = grads.dgamma.data<T>();
  T* dbeta = grads.dbeta.data<T>();
  for (std::int64_t c = 0; c < l.c; ++c) {
    double gamma_sum = 0, beta_sum = 0;
    for (std::int64_t n = 0; n < l.n; ++n) {
      const std::int64_t ng = n * l.groups + c / l.group_channels();
      gamma_sum += sum_dx[n * l.c + c] * cache.inv_std[ng];
      beta_sum += sum_d[n * l.c + c];
    }
    dgamma[c] = static_cast<T>(gamma_sum);
    dbeta[c] = static_cast<T>(beta_sum);
  }
}

}  // namespace

NormForward spatial_groupnorm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                      const GroupNormParams& params) {
  check_rank(kOp, "x", x, 4);
  const std::int64_t channels = x.dim(1);
  check_norm_parameters(kOp, x, gamma, beta, channels);
  if (params.groups < 1 || channels % params.groups != 0) {
    fail(kOp, "groups must divide the {} channels, got {} (x {})", channels, params.groups,
         shape_str(x));
  }
  if (!(params.eps > 0)) fail(kOp, "eps must be positive, got {}", params.eps);
  const Layout layout = layout_of(x, params.groups);
  NormForward result{Tensor::empty(x.shape(), x.dtype()), {x, gamma, {}, {}, true}};
  result.cache.mean.resize(layout.n * layout.groups);
  result.cache.inv_std.resize(layout.n * layout.groups);
  dispatch(x.dtype(), [&](auto zero) {
    forward<decltype(zero)>(layout, x, gamma, beta, params.eps, result.out, result.cache);
  });
  return result;
}

NormGrads spatial_groupnorm_backward(const Tensor& dout, const NormCache& cache) {
  check_shape("spatial_groupnorm backward", "dout", dout, cache.x.shape());
  check_same_dtype("spatial_groupnorm backward", "dout", dout, "x", cache.x);
  const auto groups = static_cast<std::int64_t>(cache.mean.size()) / cache.x.dim(0);
  const Layout layout = layout_of(cache.x, groups);
  NormGrads grads{Tensor::empty(dout.shape(), dout.dtype()),
                  Tensor::empty({layout.c}, dout.dtype()), Tensor::empty({layout.c}, dout.dtype())};
  dispatch(dout.dtype(), [&](auto zero) { backward<decltype(zero)>(layout, dout, cache, grads); });
  return grads;
}

Var spatial_groupnorm(const Var& x, const Var& gamma, const Var& beta,
                      const GroupNormParams& params) {
  Op op(kOp, {x, gamma, beta});
  return finish_norm(op, spatial_groupnorm_forward(op.input(0), op.input(1), op.input(2), params),
                     spatial_groupnorm_backward);
}

}  // namespace tg
