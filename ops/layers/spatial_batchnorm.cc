#include "ops/layers/spatial_batchnorm.h"

#include <cmath>

#include "graph/checks.h"
#include "graph/op.h"
#include "graph/parallel.h"
#include "ops/kernels/reductions.h"

namespace tg {
namespace {

constexpr char kOp[] = "spatial_batchnorm";

// x seen as N blocks per channel, each of `plane` = H*W contiguous elements.
struct Layout {
  std::int64_t n, c, plane;
  std::int64_t count() const { return n * plane; }  // elements per channel
  std::int64_t block(std::int64_t sample, std::int64_t channel) const {
    return (sample * c + channel) * plane;
  }
};

// gamma * (x - mean) * inv_std + beta as one multiply-add: scale * x + shift.
struct Affine {
  double scale, shift;
};

Affine normalizing_affine(double mean, double inv_std, double gamma, double beta) {
  return {gamma * inv_std, beta - mean * gamma * inv_std};
}

// With x_hat = (x - mean) * inv_std and M elements per channel:
//   dgamma = sum(dout * x_hat), dbeta = sum(dout)
//   dx = gamma * inv_std / M * (M * dout - dbeta - x_hat * dgamma)   (batch statistics)
//   dx = gamma * inv_std * dout                                      (running statistics)
// With batch statistics dx sums to exactly zero over each channel (shifting a
// channel of x changes nothing), but its computed elements carry rounding of
// the size of gamma * inv_std * dout; subtracting their computed mean leaves
// rounding of the size of dx, so a bias feeding batch norm gets a gradient of
// zero up to that (the CS231n notebook's N = 2 check: |db| ~ 1e-30, not 1e-14).
template <class T>
CentredDx<T> dx_form(double mean, double inv_std, double gamma, double sum_d, double sum_dx,
                     double count, bool batch_statistics) {
  if (!batch_statistics) return {static_cast<T>(gamma * inv_std), T(1), T(0), T(0), T(0), T(0)};
  return {static_cast<T>(gamma * inv_std / count), static_cast<T>(count), static_cast<T>(sum_d),
          static_cast<T>(sum_dx * inv_std),        static_cast<T>(mean),  static_cast<T>(inv_std)};
}

// Images (H * W > 1): a channel's N blocks are normalised together while they
// are in cache: statistics in two passes (mean, then squared deviations:
// exact enough for the seed's 1e-8 checks), then the affine map.
template <class T>
void forward_planes(const Layout& l, const T* in, const T* g, const T* b, bool train, double eps,
                    T* o, NormCache& cache, std::vector<double>& variance) {
  parallel_for(l.c, grain_for(l.count()), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t c = first; c < last; ++c) {
      double mean = cache.mean[c], var = variance[c];
      if (train) {
        double sum = 0;
        for (std::int64_t n = 0; n < l.n; ++n) sum += block_sum(in + l.block(n, c), l.plane);
        mean = sum / static_cast<double>(l.count());
        double squares = 0;
        for (std::int64_t n = 0; n < l.n; ++n) {
          squares += block_squared_deviation(in + l.block(n, c), l.plane, static_cast<T>(mean));
        }
        var = squares / static_cast<double>(l.count());
      }
      const double inv_std = 1.0 / std::sqrt(var + eps);
      variance[c] = var;
      cache.mean[c] = mean;
      cache.inv_std[c] = inv_std;
      const Affine f = normalizing_affine(mean, inv_std, g[c], b[c]);
      for (std::int64_t n = 0; n < l.n; ++n) {
        block_affine(in + l.block(n, c), l.plane, static_cast<T>(f.scale), static_cast<T>(f.shift),
                     o + l.block(n, c));
      }
    }
  });
}

// Rows (H * W = 1, batch norm of (N, D)): loops run along the rows, across
// channels, which is where the memory is contiguous.
template <class T>
void forward_rows(const Layout& l, const T* in, const T* g, const T* b, bool train, double eps,
                  T* o, NormCache& cache, std::vector<double>& variance) {
  if (train) {
    std::vector<double> sum(l.c, 0.0), squares(l.c, 0.0);
    for (std::int64_t n = 0; n < l.n; ++n) {
      const T* row = in + n * l.c;
#pragma omp simd
      for (std::int64_t c = 0; c < l.c; ++c) sum[c] += row[c];
    }
    for (std::int64_t c = 0; c < l.c; ++c) cache.mean[c] = sum[c] / static_cast<double>(l.n);
    for (std::int64_t n = 0; n < l.n; ++n) {
      const T* row = in + n * l.c;
#pragma omp simd
      for (std::int64_t c = 0; c < l.c; ++c) {
        const double d = row[c] - cache.mean[c];
        squares[c] += d * d;
      }
    }
    for (std::int64_t c = 0; c < l.c; ++c) variance[c] = squares[c] / static_cast<double>(l.n);
  }
  std::vector<T> scale(l.c), shift(l.c);
  for (std::int64_t c = 0; c < l.c; ++c) {
    cache.inv_std[c] = 1.0 / std::sqrt(variance[c] + eps);
    const Affine f = normalizing_affine(cache.mean[c], cache.inv_std[c], g[c], b[c]);
    scale[c] = static_cast<T>(f.scale);
    shift[c] = static_cast<T>(f.shift);
  }
  for (std::int64_t n = 0; n < l.n; ++n) {
    const T* row = in + n * l.c;
    T* out = o + n * l.c;
#pragma omp simd
    for (std::int64_t c = 0; c < l.c; ++c) out[c] = row[c] * scale[c] + shift[c];
  }
}

// Sync batch norm: the statistics of the global batch, whose slices the
// processes hold, in the same two passes as one process: the per-channel sums
// added over the processes (rank order) give the mean, then the squared
// deviations from it, added likewise, the (biased) variance.
template <class T>
void global_statistics(const Layout& l, const T* in, BatchStatisticsSum& sync,
                       std::vector<double>& mean, std::vector<double>& variance) {
  const double count = static_cast<double>(l.count()) * sync.slices();
  std::vector<double> sums(l.c), squares(l.c);
  parallel_for(l.c, grain_for(l.count()), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t c = first; c < last; ++c) {
      double sum = 0;
      for (std::int64_t n = 0; n < l.n; ++n) sum += block_sum(in + l.block(n, c), l.plane);
      sums[c] = sum;
    }
  });
  sync.sum(sums);
  for (std::int64_t c = 0; c < l.c; ++c) mean[c] = sums[c] / count;
  parallel_for(l.c, grain_for(l.count()), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t c = first; c < last; ++c) {
      double sum = 0;
      for (std::int64_t n = 0; n < l.n; ++n) {
        sum += block_squared_deviation(in + l.block(n, c), l.plane, static_cast<T>(mean[c]));
      }
      squares[c] = sum;
    }
  });
  sync.sum(squares);
  for (std::int64_t c = 0; c < l.c; ++c) variance[c] = squares[c] / count;
}

template <class T>
void forward(const Layout& l, const Tensor& x, const Tensor& gamma, const Tensor& beta,
             const BatchNormState& state, Tensor& out, NormCache& cache,
             std::vector<double>& variance) {
  bool train = state.mode == Mode::train;
  // Test mode normalises with the running statistics.
  for (std::int64_t c = 0; c < l.c; ++c) {
    cache.mean[c] = state.running_mean.data<T>()[c];
    variance[c] = state.running_var.data<T>()[c];
  }
  if (train && state.sync != nullptr) {
    global_statistics<T>(l, x.data<T>(), *state.sync, cache.mean, variance);
    train = false;  // the statistics are given: normalise with them
  }
  const auto run = l.plane == 1 ? forward_rows<T> : forward_planes<T>;
  run(l, x.data<T>(), gamma.data<T>(), beta.data<T>(), train, state.eps, out.data<T>(), cache,
      variance);
}

template <class T>
void backward_planes(const Layout& l, const T* d, const T* in, const T* g, const NormCache& cache,
                     T* dx, T* dgamma, T* dbeta) {
  parallel_for(l.c, grain_for(l.count()), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t c = first; c < last; ++c) {
      const double mean = cache.mean[c], inv_std = cache.inv_std[c];
      double sum_d = 0, sum_dx = 0;  // sum(dout), sum(dout * (x - mean))
      for (std::int64_t n = 0; n < l.n; ++n) {
        block_backward_sums(d + l.block(n, c), in + l.block(n, c), l.plane, static_cast<T>(mean),
                            sum_d, sum_dx);
      }
      dgamma[c] = static_cast<T>(sum_dx * inv_std);
      dbeta[c] = static_cast<T>(sum_d);
      const CentredDx<T> form = dx_form<T>(mean, inv_std, g[c], sum_d, sum_dx,
                                           static_cast<double>(l.count()), cache.batch_statistics);
      for (std::int64_t n = 0; n < l.n; ++n) {
        block_backward_dx(d + l.block(n, c), in + l.block(n, c), l.plane, form, dx + l.block(n, c));
      }
      if (!cache.batch_statistics) continue;
      // The channel's blocks are still in cache: remove dx's rounding residual.
      double residual = 0;
      for (std::int64_t n = 0; n < l.n; ++n) residual += block_sum(dx + l.block(n, c), l.plane);
      const T shift = static_cast<T>(-residual / static_cast<double>(l.count()));
      for (std::int64_t n = 0; n < l.n; ++n) {
        block_affine(dx + l.block(n, c), l.plane, T(1), shift, dx + l.block(n, c));
      }
    }
  });
}

template <class T>
void backward_rows(const Layout& l, const T* d, const T* in, const T* g, const NormCache& cache,
                   T* dx, T* dgamma, T* dbeta) {
  std::vector<double> sum_d(l.c, 0.0), sum_dx(l.c, 0.0);
  for (std::int64_t n = 0; n < l.n; ++n) {
    const T* drow = d + n * l.c;
    const T* xrow = in + n * l.c;
#pragma omp simd
    for (std::int64_t c = 0; c < l.c; ++c) {
      sum_d[c] += drow[c];
      sum_dx[c] += drow[c] * (xrow[c] - cache.mean[c]);
    }
  }
  // The centred form's per-channel terms as rows, so the loop runs along them.
  std::vector<T> k(l.c), scale(l.c), dbeta_row(l.c), dgamma_row(l.c), mean(l.c), inv_std(l.c);
  for (std::int64_t c = 0; c < l.c; ++c) {
    dgamma[c] = static_cast<T>(sum_dx[c] * cache.inv_std[c]);
    dbeta[c] = static_cast<T>(sum_d[c]);
    const CentredDx<T> f = dx_form<T>(cache.mean[c], cache.inv_std[c], g[c], sum_d[c], sum_dx[c],
                                      static_cast<double>(l.n), cache.batch_statistics);
    k[c] = f.k;
    scale[c] = f.scale;
    dbeta_row[c] = f.sum_d;
    dgamma_row[c] = f.sum_d_xhat;
    mean[c] = f.mean;
    inv_std[c] = f.inv_std;
  }
  for (std::int64_t n = 0; n < l.n; ++n) {
    const T* drow = d + n * l.c;
    const T* xrow = in + n * l.c;
    T* out = dx + n * l.c;
#pragma omp simd
    for (std::int64_t c = 0; c < l.c; ++c) {
      const T x_hat = (xrow[c] - mean[c]) * inv_std[c];
      out[c] = k[c] * (scale[c] * drow[c] - dbeta_row[c] - x_hat * dgamma_row[c]);
    }
  }
  if (!cache.batch_statistics) return;
  // Remove dx's rounding residual per feature (see the top of this file).
  std::vector<double> residual(l.c, 0.0);
  for (std::int64_t n = 0; n < l.n; ++n) {
    const T* row = dx + n * l.c;
#pragma omp simd
    for (std::int64_t c = 0; c < l.c; ++c) residual[c] += row[c];
  }
  std::vector<T> shift(l.c);
  for (std::int64_t c = 0; c < l.c; ++c) shift[c] = static_cast<T>(-residual[c] / l.n);
  for (std::int64_t n = 0; n < l.n; ++n) {
    T* row = dx + n * l.c;
#pragma omp simd
    for (std::int64_t c = 0; c < l.c; ++c) row[c] += shift[c];
  }
}

// Sync batch norm's backward: the same formulas (see dx_form) with the
// global batch's sums of dout and dout * (x - mean), added over the processes
// in rank order, and its count; dgamma and dbeta stay this process's sums.
// dx's rounding residual is removed over the global batch too.
template <class T>
void backward_synced(const Layout& l, const T* d, const T* in, const T* g, const NormCache& cache,
                     T* dx, T* dgamma, T* dbeta) {
  BatchStatisticsSum& sync = *cache.sync;
  const double count = static_cast<double>(l.count()) * sync.slices();
  std::vector<double> sums(2 * l.c);  // sum(dout) per channel, then sum(dout * (x - mean))
  parallel_for(l.c, grain_for(l.count()), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t c = first; c < last; ++c) {
      double sum_d = 0, sum_dx = 0;
      for (std::int64_t n = 0; n < l.n; ++n) {
        block_backward_sums(d + l.block(n, c), in + l.block(n, c), l.plane,
                            static_cast<T>(cache.mean[c]), sum_d, sum_dx);
      }
      dgamma[c] = static_cast<T>(sum_dx * cache.inv_std[c]);
      dbeta[c] = static_cast<T>(sum_d);
      sums[c] = sum_d;
      sums[l.c + c] = sum_dx;
    }
  });
  sync.sum(sums);
  std::vector<double> residual(l.c);
  parallel_for(l.c, grain_for(l.count()), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t c = first; c < last; ++c) {
      const CentredDx<T> form =
          dx_form<T>(cache.mean[c], cache.inv_std[c], g[c], sums[c], sums[l.c + c], count, true);
      double sum = 0;
      for (std::int64_t n = 0; n < l.n; ++n) {
        block_backward_dx(d + l.block(n, c), in + l.block(n, c), l.plane, form, dx + l.block(n, c));
        sum += block_sum(dx + l.block(n, c), l.plane);
      }
      residual[c] = sum;
    }
  });
  sync.sum(residual);
  parallel_for(l.c, grain_for(l.count()), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t c = first; c < last; ++c) {
      const T shift = static_cast<T>(-residual[c] / count);
      for (std::int64_t n = 0; n < l.n; ++n) {
        block_affine(dx + l.block(n, c), l.plane, T(1), shift, dx + l.block(n, c));
      }
    }
  });
}

template <class T>
void backward(const Layout& l, const Tensor& dout, const NormCache& cache, NormGrads& grads) {
  const bool synced = cache.sync != nullptr && cache.batch_statistics;
  const auto run = synced         ? backward_synced<T>
                   : l.plane == 1 ? backward_rows<T>
                                  : backward_planes<T>;
  run(l, dout.data<T>(), cache.x.data<T>(), cache.gamma.data<T>(), cache, grads.dx.data<T>(),
      grads.dgamma.data<T>(), grads.dbeta.data<T>());
}

// running = momentum * running + (1 - momentum) * batch, batch variance biased.
template <class T>
void update_running(BatchNormState& state, const std::vector<double>& mean,
                    const std::vector<double>& variance) {
  T* running_mean = state.running_mean.data<T>();
  T* running_var = state.running_var.data<T>();
  const double m = state.momentum;
  for (std::size_t c = 0; c < mean.size(); ++c) {
    running_mean[c] = static_cast<T>(m * running_mean[c] + (1 - m) * mean[c]);
    running_var[c] = static_cast<T>(m * running_var[c] + (1 - m) * variance[c]);
  }
}

}  // namespace

void check_batchnorm_state(const char* op, const BatchNormState& state, std::int64_t channels,
                           DType dtype) {
  if (!(state.eps > 0)) fail(op, "eps must be positive, got {}", state.eps);
  if (!(state.momentum >= 0 && state.momentum <= 1)) {
    fail(op, "momentum must be in [0, 1], got {}", state.momentum);
  }
  for (const auto& [name, running] :
       {std::pair{"running_mean", &state.running_mean}, {"running_var", &state.running_var}}) {
    if (!running->defined()) continue;
    check_vector(op, name, *running, channels);
    if (running->dtype() != dtype) {
      fail(op, "{} is {} but x is {}", name, name_of(running->dtype()), name_of(dtype));
    }
  }
}

void check_batch_statistics(const char* op, const BatchNormState& state, const Tensor& x,
                            std::int64_t values_per_channel) {
  if (state.mode == Mode::train && values_per_channel < 2) {
    fail(op,
         "expected more than 1 value per channel when training, got x {} ({} per channel): the "
         "batch statistics of one value normalise it to 0; train with a larger batch",
         shape_str(x), values_per_channel);
  }
}

NormForward spatial_batchnorm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                      BatchNormState& state) {
  check_rank(kOp, "x", x, 4);
  const std::int64_t channels = x.dim(1);
  check_norm_parameters(kOp, x, gamma, beta, channels);
  check_batchnorm_state(kOp, state, channels, x.dtype());
  check_batch_statistics(kOp, state, x, x.dim(0) * x.dim(2) * x.dim(3));
  if (!state.running_mean.defined()) state.running_mean = Tensor::zeros({channels}, x.dtype());
  if (!state.running_var.defined()) state.running_var = Tensor::ones({channels}, x.dtype());

  const Layout layout{x.dim(0), channels, x.dim(2) * x.dim(3)};
  NormForward result{Tensor::empty(x.shape(), x.dtype()),
                     {x, gamma, {}, {}, state.mode == Mode::train, state.sync}};
  result.cache.mean.resize(channels);
  result.cache.inv_std.resize(channels);
  std::vector<double> variance(channels);
  dispatch(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    forward<T>(layout, x, gamma, beta, state, result.out, result.cache, variance);
    if (state.mode == Mode::train) update_running<T>(state, result.cache.mean, variance);
  });
  return result;
}

NormGrads spatial_batchnorm_backward(const Tensor& dout, const NormCache& cache) {
  check_shape("spatial_batchnorm backward", "dout", dout, cache.x.shape());
  check_same_dtype("spatial_batchnorm backward", "dout", dout, "x", cache.x);
  const Layout layout{cache.x.dim(0), cache.x.dim(1), cache.x.dim(2) * cache.x.dim(3)};
  NormGrads grads{Tensor::empty(dout.shape(), dout.dtype()),
                  Tensor::empty({layout.c}, dout.dtype()), Tensor::empty({layout.c}, dout.dtype())};
  dispatch(dout.dtype(), [&](auto zero) { backward<decltype(zero)>(layout, dout, cache, grads); });
  return grads;
}

Var spatial_batchnorm(const Var& x, const Var& gamma, const Var& beta, BatchNormState& state) {
  Op op(kOp, {x, gamma, beta});
  return finish_norm(op, spatial_batchnorm_forward(op.input(0), op.input(1), op.input(2), state),
                     spatial_batchnorm_backward);
}

}  // namespace tg
