#include "ops/layers/dropout.h"

#include <algorithm>
#include <cmath>

#include "graph/checks.h"
#include "graph/eigen.h"
#include "graph/op.h"

namespace tg {
namespace {

constexpr char kOp[] = "dropout";

// Fills mask with 1 / keep_prob (kept) or 0, one 32-bit uniform per element:
// element i takes half (i mod 2) of draw i / 2 (the low half first), and is
// kept when that falls below keep_prob * 2^32.
template <class T>
void fill_mask(T* mask, std::int64_t n, double keep_prob, Rng& rng) {
  const auto threshold = static_cast<std::uint64_t>(std::ldexp(keep_prob, 32));
  const T kept = static_cast<T>(1.0 / keep_prob);
  constexpr std::int64_t kChunk = 256;  // draws per call of rng.fill
  std::uint64_t draws[kChunk];
  for (std::int64_t begin = 0; begin < n; begin += 2 * kChunk) {
    const std::int64_t length = std::min(2 * kChunk, n - begin);
    rng.fill(draws, (length + 1) / 2);
    T* out = mask + begin;
#pragma omp simd
    for (std::int64_t i = 0; i < length; ++i) {
      const std::uint64_t half = (draws[i / 2] >> (32 * (i % 2))) & 0xffffffffu;
      out[i] = half < threshold ? kept : T(0);
    }
  }
}

}  // namespace

DropoutForward dropout_forward(const Tensor& x, const DropoutParams& params, Rng& rng) {
  check_min_rank(kOp, "x", x, 0);
  if (!(params.keep_prob > 0.0 && params.keep_prob <= 1.0)) {
    fail(kOp, "keep_prob must be in (0, 1], got {}", params.keep_prob);
  }
  if (params.mode == Mode::test) return {x, {}};
  Tensor mask = Tensor::empty(x.shape(), x.dtype());
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    fill_mask(mask.data<T>(), x.numel(), params.keep_prob, rng);
    as_array<T>(out) = as_array<T>(x) * as_array<T>(mask);
  });
  return {std::move(out), {std::move(mask)}};
}

Tensor dropout_backward(const Tensor& dout, const DropoutCache& cache) {
  if (!cache.mask.defined()) return dout;
  check_shape("dropout backward", "dout", dout, cache.mask.shape());
  check_same_dtype("dropout backward", "dout", dout, "x", cache.mask);
  Tensor dx = Tensor::empty(dout.shape(), dout.dtype());
  dispatch(dout.dtype(), [&](auto zero) {
    using T = decltype(zero);
    as_array<T>(dx) = as_array<T>(dout) * as_array<T>(cache.mask);
  });
  return dx;
}

Var dropout(const Var& x, const DropoutParams& params, Rng& rng) {
  Op op(kOp, {x});
  auto [out, cache] = dropout_forward(op.input(0), params, rng);
  return op.finish(std::move(out),
                   [cache = std::move(cache)](const Tensor& dout, InputGrads& grads) {
                     grads.add(0, dropout_backward(dout, cache));
                   });
}

}  // namespace tg
