// Vectorised reductions over one contiguous block, shared by the
// normalization kernels. Sums run in T across SIMD lanes (short blocks) and
// the callers add block results up in double.
#pragma once

#include <cstdint>

namespace tg {

template <class T>
double block_sum(const T* p, std::int64_t size) {
  T sum = 0;
#pragma omp simd reduction(+ : sum)
  for (std::int64_t i = 0; i < size; ++i) sum += p[i];
  return sum;
}

// sum((p - mean)^2)
template <class T>
double block_squared_deviation(const T* p, std::int64_t size, T mean) {
  T sum = 0;
#pragma omp simd reduction(+ : sum)
  for (std::int64_t i = 0; i < size; ++i) sum += (p[i] - mean) * (p[i] - mean);
  return sum;
}

// Adds sum(d) to sum_d and sum(d * (x - mean)) to sum_dx.
template <class T>
void block_backward_sums(const T* d, const T* x, std::int64_t size, T mean, double& sum_d,
                         double& sum_dx) {
  T s = 0, sx = 0;
#pragma omp simd reduction(+ : s, sx)
  for (std::int64_t i = 0; i < size; ++i) {
    s += d[i];
    sx += d[i] * (x[i] - mean);
  }
  sum_d += s;
  sum_dx += sx;
}

// dst = a * src + b, elementwise.
template <class T>
void block_affine(const T* src, std::int64_t size, T a, T b, T* dst) {
#pragma omp simd
  for (std::int64_t i = 0; i < size; ++i) dst[i] = src[i] * a + b;
}

// The normalization backward of one block, in the centred form the seed and
// NumPy use (not as a * d + b * x + c, whose large terms cancel):
//   dst = k * (scale * d - sum_d - x_hat * sum_d_xhat),  x_hat = (x - mean) * inv_std
// Batch norm: k = gamma * inv_std / M, scale = M (M elements per channel),
// sum_d = sum(d), sum_d_xhat = sum(d * x_hat); group norm folds gamma into
// scale and the sums instead. A bias feeding a batch norm then gets a
// gradient of zero up to rounding.
template <class T>
struct CentredDx {
  T k, scale, sum_d, sum_d_xhat, mean, inv_std;
};

template <class T>
void block_backward_dx(const T* d, const T* x, std::int64_t size, const CentredDx<T>& f, T* dst) {
#pragma omp simd
  for (std::int64_t i = 0; i < size; ++i) {
    const T x_hat = (x[i] - f.mean) * f.inv_std;
    dst[i] = f.k * (f.scale * d[i] - f.sum_d - x_hat * f.sum_d_xhat);
  }
}

}  // namespace tg
