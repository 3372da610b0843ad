// conv2d: gradients of the fast path and the naive reference, and both fast
// kernels (im2col, oneDNN) and conv2d's routing between them held to the
// reference on awkward shapes.
#include <doctest/doctest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "graph/errors.h"
#include "graph/float_env.h"
#include "graph/gradcheck.h"
#include "graph/parallel.h"
#include "graph/rng.h"
#include "ops/conv/conv2d.h"
#include "ops/conv/conv2d_im2col.h"
#include "ops/conv/conv2d_onednn.h"
#include "ops/reference/conv2d_naive.h"
#include "tests/support/check_grads.h"

using namespace tg;
using tg::testing::randn;
using tg::testing::require_close;

namespace {

// conv is linear in each of x, w and b, so centred differences carry no
// truncation error at any step; their rounding noise (about 1e-16 |out| / h
// per output) is what limits the relative error of small entries of dw, and
// a step of 1e-3 keeps it below the 1e-8 bound.
constexpr double kLinearStep = 1e-3;

struct ConvCase {
  Shape x, w;
  Conv2dParams params;
};

// N = 1, stride 2, pad 0 and 3, non-square inputs and kernels, 1x1 kernels.
const std::vector<ConvCase> kAwkward = {
    {{2, 3, 7, 7}, {4, 3, 3, 3}, {2, 1}},   // stride 2, pad 1
    {{1, 2, 5, 9}, {3, 2, 3, 5}, {1, 0}},   // N = 1, pad 0, non-square input and kernel
    {{2, 3, 6, 6}, {2, 3, 7, 7}, {1, 3}},   // pad 3 with a 7x7 kernel
    {{3, 4, 5, 7}, {5, 4, 1, 1}, {1, 0}},   // 1x1 kernel (pointwise path)
    {{2, 2, 8, 6}, {3, 2, 2, 2}, {2, 0}},   // stride 2, pad 0, even kernel
    {{1, 1, 9, 5}, {2, 1, 5, 1}, {2, 0}},   // tall kernel, stride 2
    {{2, 3, 5, 5}, {2, 3, 1, 1}, {2, 0}},   // 1x1 kernel at stride 2 (not pointwise)
    {{1, 4, 6, 10}, {5, 4, 3, 3}, {1, 3}},  // pad 3 > the 3x3 filter (as CS231n and PyTorch allow)
};

// 16 channels or more (oneDNN's dx) and batches that leave a short last
// chunk of kImagesPerWeightChunk images.
const std::vector<ConvCase> kWide = {
    {{13, 16, 6, 6}, {20, 16, 3, 3}, {1, 1}},  // 8 + 5 images
    {{1, 24, 7, 5}, {17, 24, 3, 1}, {2, 0}},   // N = 1, stride 2, pad 0, tall kernel
    {{9, 32, 4, 4}, {16, 32, 1, 1}, {1, 0}},   // 1x1, 8 + 1 images
    {{3, 16, 5, 5}, {8, 16, 3, 3}, {1, 3}},    // pad 3 > the filter
    {{17, 20, 9, 9}, {33, 20, 3, 3}, {2, 1}},  // odd filters, stride 2, 8 + 8 + 1 images
    {{2, 16, 8, 6}, {4, 16, 2, 4}, {2, 0}},    // even, non-square kernel
};

// Both lists.
std::vector<ConvCase> all_cases() {
  std::vector<ConvCase> cases = kAwkward;
  cases.insert(cases.end(), kWide.begin(), kWide.end());
  return cases;
}

// max |got - want| / max |want|: the error of a float32 result against a
// float64 one, relative to the tensor's scale (an element-wise relative
// error is meaningless where a sum cancels to near zero).
double scaled_error(const Tensor& got, const Tensor& want) {
  REQUIRE(got.shape() == want.shape());
  const std::vector<double> a = got.to_vector(), b = want.to_vector();
  double worst = 0, scale = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, std::abs(a[i] - b[i]));
    scale = std::max(scale, std::abs(b[i]));
  }
  return worst / scale;
}

// The error model of a float32 sum of `terms` products of exact inputs,
// against the float64 sum `want`: recursive summation in any order errs by
// at most terms * u * sum|terms| (u = 2^-24), and storing the float32 result
// by u |result| more (Higham, Accuracy and Stability, 3.1). `abs_sum` is the
// float64 sum of the terms' magnitudes, element by element. Unlike a fixed
// tolerance this holds for any blocking or order a CPU's kernel picks, and a
// missing or wrong term still shows (it errs by about sum|terms| / terms).
void check_within_rounding(const Tensor& got, const Tensor& want, const Tensor& abs_sum,
                           std::int64_t terms) {
  REQUIRE(got.shape() == want.shape());
  REQUIRE(abs_sum.shape() == want.shape());
  constexpr double u = 0x1p-24;
  const std::vector<double> a = got.to_vector(), b = want.to_vector(), m = abs_sum.to_vector();
  std::size_t outside = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::abs(a[i] - b[i]) > static_cast<double>(terms + 1) * u * m[i]) ++outside;
  }
  CHECK(outside == 0);
}

Tensor abs_of(const Tensor& t) {
  Tensor out = t.clone();
  double* v = out.data<double>();
  for (std::int64_t i = 0; i < out.numel(); ++i) v[i] = std::abs(v[i]);
  return out;
}

// Inputs of a case: float32 normal samples, and their exact float64 copies
// for the reference.
struct Inputs {
  Tensor x, w, b, dout;  // float32
  Tensor x64() const { return x.to(DType::f64); }
  Tensor w64() const { return w.to(DType::f64); }
  Tensor b64() const { return b.to(DType::f64); }
  Tensor dout64() const { return dout.to(DType::f64); }
};

Inputs f32_inputs(const ConvCase& c, Rng& rng) {
  Inputs in;
  in.x = Tensor::randn(c.x, rng);
  in.w = Tensor::randn(c.w, rng);
  in.b = Tensor::randn({c.w[0]}, rng);
  const Conv2dGeometry g = conv2d_geometry("test", in.x, in.w, c.params);
  in.dout = Tensor::randn({g.n, g.f, g.oh, g.ow}, rng);
  return in;
}

}  // namespace

TEST_CASE("conv2d fast path: gradients of x, w and b on awkward shapes") {
  Rng rng(1);
  for (const ConvCase& c : kAwkward) {
    CAPTURE(c.x.str());
    CAPTURE(c.w.str());
    const GradientCheck check = check_gradients(
        [&](const std::vector<Var>& in) { return conv2d(in[0], in[1], in[2], c.params); },
        {randn(c.x, rng), randn(c.w, rng), randn({c.w[0]}, rng)}, 0, kLinearStep);
    require_close(check, {{"x", 1e-6}, {"w", 1e-8}, {"b", 1e-8}});
  }
}

TEST_CASE("conv2d naive reference: gradients against numerical ones") {
  Rng rng(2);
  for (const ConvCase& c : {kAwkward[0], kAwkward[1], kAwkward[2]}) {
    Tensor x = randn(c.x, rng), w = randn(c.w, rng), b = randn({c.w[0]}, rng);
    const auto [out, cache] = conv2d_forward_naive(x, w, b, c.params);
    const Tensor dout = randn(out.shape(), rng);
    const Conv2dGrads grads = conv2d_backward_naive(dout, cache);
    const auto out_of = [&](const Tensor&) { return conv2d_forward_naive(x, w, b, c.params).out; };
    CHECK(rel_error(grads.dx, eval_numerical_gradient_array(out_of, x, dout, kLinearStep)) < 1e-6);
    CHECK(rel_error(grads.dw, eval_numerical_gradient_array(out_of, w, dout, kLinearStep)) < 1e-8);
    CHECK(rel_error(grads.db, eval_numerical_gradient_array(out_of, b, dout, kLinearStep)) < 1e-8);
  }
}

TEST_CASE("conv2d fast path in float64 (im2col) equals the naive reference") {
  Rng rng(3);
  for (const ConvCase& c : all_cases()) {
    CAPTURE(c.x.str());
    CAPTURE(c.w.str());
    const Tensor x = randn(c.x, rng), w = randn(c.w, rng), b = randn({c.w[0]}, rng);
    const auto fast = conv2d_forward(x, w, b, c.params);
    const auto naive = conv2d_forward_naive(x, w, b, c.params);
    CHECK(rel_error(fast.out, naive.out) < 1e-10);
    const Tensor dout = randn(fast.out.shape(), rng);
    const Conv2dGrads fast_grads = conv2d_backward(dout, fast.cache);
    const Conv2dGrads naive_grads = conv2d_backward_naive(dout, naive.cache);
    CHECK(rel_error(fast_grads.dx, naive_grads.dx) < 1e-10);
    CHECK(rel_error(fast_grads.dw, naive_grads.dw) < 1e-10);
    CHECK(rel_error(fast_grads.db, naive_grads.db) < 1e-10);
  }
}

TEST_CASE("im2col kernels equal the naive reference, in float64 and float32") {
  Rng rng(7);
  for (const ConvCase& c : all_cases()) {
    CAPTURE(c.x.str());
    CAPTURE(c.w.str());
    const Inputs in = f32_inputs(c, rng);
    const auto naive = conv2d_forward_naive(in.x64(), in.w64(), in.b64(), c.params);
    const Conv2dGrads naive_grads = conv2d_backward_naive(in.dout64(), naive.cache);
    const Conv2dGeometry g = conv2d_geometry("test", in.x, in.w, c.params);
    // float64: equal up to the order of the additions.
    CHECK(rel_error(conv2d_im2col_forward(g, in.x64(), in.w64(), in.b64()), naive.out) < 1e-10);
    CHECK(rel_error(conv2d_im2col_backward_data(g, in.dout64(), in.w64()), naive_grads.dx) < 1e-10);
    const Conv2dGrads grads64 = conv2d_im2col_backward_weights(g, in.dout64(), in.x64());
    CHECK(rel_error(grads64.dw, naive_grads.dw) < 1e-10);
    CHECK(rel_error(grads64.db, naive_grads.db) < 1e-10);
    CHECK_FALSE(grads64.dx.defined());
    // float32: single precision.
    CHECK(scaled_error(conv2d_im2col_forward(g, in.x, in.w, in.b), naive.out) < 1e-6);
    CHECK(scaled_error(conv2d_im2col_backward_data(g, in.dout, in.w), naive_grads.dx) < 1e-6);
    const Conv2dGrads grads32 = conv2d_im2col_backward_weights(g, in.dout, in.x);
    CHECK(scaled_error(grads32.dw, naive_grads.dw) < 1e-6);
    CHECK(scaled_error(grads32.db, naive_grads.db) < 1e-6);
  }
}

TEST_CASE("oneDNN kernels in float32 equal the float64 naive reference") {
  Rng rng(8);
  for (const ConvCase& c : all_cases()) {
    CAPTURE(c.x.str());
    CAPTURE(c.w.str());
    const Inputs in = f32_inputs(c, rng);
    const auto naive = conv2d_forward_naive(in.x64(), in.w64(), in.b64(), c.params);
    const Conv2dGrads naive_grads = conv2d_backward_naive(in.dout64(), naive.cache);
    const Conv2dGeometry g = conv2d_geometry("test", in.x, in.w, c.params);
    CAPTURE(conv2d_onednn_implementation(g, Conv2dPass::forward));
    CHECK(scaled_error(conv2d_onednn_forward(g, in.x, in.w, in.b), naive.out) < 1e-6);
    CHECK(scaled_error(conv2d_onednn_backward_data(g, in.dout, in.w), naive_grads.dx) < 1e-6);
    const Conv2dGrads grads = conv2d_onednn_backward_weights(g, in.dout, in.x);
    CHECK(scaled_error(grads.dw, naive_grads.dw) < 1e-6);
    CHECK(scaled_error(grads.db, naive_grads.db) < 1e-6);
    CHECK_FALSE(grads.dx.defined());
  }
}

TEST_CASE("conv2d in float32 (oneDNN, im2col for dx below 16 channels) equals naive") {
  Rng rng(9);
  for (const ConvCase& c : all_cases()) {
    CAPTURE(c.x.str());
    CAPTURE(c.w.str());
    const Inputs in = f32_inputs(c, rng);
    const auto naive = conv2d_forward_naive(in.x64(), in.w64(), in.b64(), c.params);
    const Conv2dGrads naive_grads = conv2d_backward_naive(in.dout64(), naive.cache);
    const auto fast = conv2d_forward(in.x, in.w, in.b, c.params);
    REQUIRE(fast.out.dtype() == DType::f32);
    CHECK(scaled_error(fast.out, naive.out) < 1e-6);
    const Conv2dGrads grads = conv2d_backward(in.dout, fast.cache);
    REQUIRE(grads.dx.dtype() == DType::f32);
    CHECK(scaled_error(grads.dx, naive_grads.dx) < 1e-6);
    CHECK(scaled_error(grads.dw, naive_grads.dw) < 1e-6);
    CHECK(scaled_error(grads.db, naive_grads.db) < 1e-6);
  }
}

TEST_CASE("oneDNN on the benchmark's layers matches float64 im2col to single precision") {
  // Full-size layers (the naive loops would take minutes): the float64
  // im2col kernels, held to naive above, are the reference, and each float32
  // result is within the rounding bound of its sums (check_within_rounding):
  // oneDNN's kernels differ between CPUs (AVX2, AVX-512) in blocking and order.
  for (const ConvCase& c : {ConvCase{{64, 3, 32, 32}, {32, 3, 7, 7}, {1, 3}},
                            ConvCase{{64, 64, 16, 16}, {64, 64, 3, 3}, {1, 1}}}) {
    CAPTURE(c.x.str());
    Rng rng(10);
    const Inputs in = f32_inputs(c, rng);
    const Conv2dGeometry g = conv2d_geometry("test", in.x, in.w, c.params);
    const Tensor x = in.x64(), w = in.w64(), b = in.b64(), dout = in.dout64();
    const Tensor ax = abs_of(x), aw = abs_of(w), ab = abs_of(b), adout = abs_of(dout);
    // Terms per element: C KH KW products and the bias (forward), F KH KW
    // (dx), N OH OW (dW and db).
    const std::int64_t forward_terms = g.c * g.kh * g.kw + 1, dx_terms = g.f * g.kh * g.kw,
                       weight_terms = g.n * g.oh * g.ow;
    check_within_rounding(conv2d_onednn_forward(g, in.x, in.w, in.b),
                          conv2d_im2col_forward(g, x, w, b), conv2d_im2col_forward(g, ax, aw, ab),
                          forward_terms);
    check_within_rounding(conv2d_onednn_backward_data(g, in.dout, in.w),
                          conv2d_im2col_backward_data(g, dout, w),
                          conv2d_im2col_backward_data(g, adout, aw), dx_terms);
    const Conv2dGrads fast = conv2d_onednn_backward_weights(g, in.dout, in.x);
    const Conv2dGrads want = conv2d_im2col_backward_weights(g, dout, x);
    const Conv2dGrads abs_sums = conv2d_im2col_backward_weights(g, adout, ax);
    check_within_rounding(fast.dw, want.dw, abs_sums.dw, weight_terms);
    check_within_rounding(fast.db, want.db, abs_sums.db, weight_terms);
  }
}

TEST_CASE("conv2d routes each pass as ops/conv/conv2d.h says") {
  const auto kernels = [](const Shape& x, const Shape& w, const Conv2dParams& params, DType dtype) {
    return conv2d_kernels(
        conv2d_geometry("test", Tensor::zeros(x, dtype), Tensor::zeros(w, dtype), params), dtype);
  };
  // The benchmark's layers: conv1's 3 input channels take dx from im2col.
  const std::string conv1 = kernels({64, 3, 32, 32}, {32, 3, 7, 7}, {1, 3}, DType::f32);
  CAPTURE(conv1);
  CHECK(conv1.rfind("forward onednn jit", 0) == 0);
  CHECK(conv1.find(", dx im2col, dw onednn ") != std::string::npos);
  const std::string conv2 = kernels({64, 64, 16, 16}, {64, 64, 3, 3}, {1, 1}, DType::f32);
  CAPTURE(conv2);
  CHECK(conv2.rfind("forward onednn jit", 0) == 0);
  CHECK(conv2.find(", dx onednn jit") != std::string::npos);
  CHECK(conv2.find(", dw onednn ") != std::string::npos);
  // No direct oneDNN kernel for a pad above the filter's size.
  CHECK(kernels({4, 16, 8, 8}, {8, 16, 3, 3}, {1, 4}, DType::f32)
            .rfind("forward im2col, dx im2col", 0) == 0);
  CHECK(kernels({64, 64, 16, 16}, {64, 64, 3, 3}, {1, 1}, DType::f64) ==
        "forward im2col, dx im2col, dw im2col");
}

TEST_CASE("conv2d in float32 matches float64 to single precision") {
  Rng rng(4);
  const Tensor x = randn({4, 3, 10, 10}, rng), w = randn({8, 3, 3, 3}, rng), b = randn({8}, rng);
  const auto f64 = conv2d_forward(x, w, b, {1, 1});
  const auto f32 = conv2d_forward(x.to(DType::f32), w.to(DType::f32), b.to(DType::f32), {1, 1});
  CHECK(rel_error(f32.out.to(DType::f64), f64.out) < 1e-3);
}

TEST_CASE("conv2d backward skips dx when the input needs no gradient") {
  Rng rng(5);
  const Tensor x = randn({2, 3, 5, 5}, rng), w = randn({2, 3, 3, 3}, rng), b = randn({2}, rng);
  const auto fwd = conv2d_forward(x, w, b, {1, 1});
  const Conv2dGrads grads = conv2d_backward(randn(fwd.out.shape(), rng), fwd.cache, false);
  CHECK_FALSE(grads.dx.defined());
  CHECK(grads.dw.defined());
}

TEST_CASE("conv2d accepts a pad larger than the filter: the border outputs see only zeros") {
  // CS231n's conv_forward_naive and PyTorch accept x (1,4,6,10), w (5,4,3,3),
  // stride 1, pad 3: the output is (1,5,10,14), and each output whose window
  // lies wholly in the padding equals the bias.
  Rng rng(6);
  const Tensor x = randn({1, 4, 6, 10}, rng), w = randn({5, 4, 3, 3}, rng), b = randn({5}, rng);
  const auto out = conv2d_forward(x, w, b, {1, 3}).out;
  REQUIRE(out.shape() == Shape{1, 5, 10, 14});
  for (std::int64_t f = 0; f < 5; ++f) {
    CHECK(out.at<double>(0, f, 0, 0) == b.at<double>(f));
    CHECK(out.at<double>(0, f, 9, 13) == b.at<double>(f));
  }
}

TEST_CASE("conv2d output size follows 1 + (H + 2 pad - HH) / stride") {
  const auto r = conv2d_forward(Tensor::zeros({2, 3, 32, 32}), Tensor::zeros({32, 3, 7, 7}),
                                Tensor::zeros({32}), {1, 3});
  CHECK(r.out.shape() == Shape{2, 32, 32, 32});
  const auto s = conv2d_forward(Tensor::zeros({1, 1, 9, 7}), Tensor::zeros({1, 1, 3, 3}),
                                Tensor::zeros({1}), {2, 0});
  CHECK(s.out.shape() == Shape{1, 1, 4, 3});
}

TEST_CASE("conv2d rejects bad shapes and parameters with the op, expected and actual") {
  const Tensor x = Tensor::zeros({2, 4, 8, 8}), w = Tensor::zeros({6, 3, 3, 3});
  const Tensor b = Tensor::zeros({6});
  CHECK_THROWS_WITH_AS(
      conv2d_forward(x, w, b, {1, 1}),
      "conv2d: input has 4 channels but weight expects 3 (x (2,4,8,8), w (6,3,3,3))",
      ArgumentError);
  const Tensor x3 = Tensor::zeros({2, 3, 8, 8});
  CHECK_THROWS_WITH_AS(conv2d_forward(x3, w, b, {2, 0}),
                       doctest::Contains("conv2d: the windows do not tile the input"),
                       ArgumentError);
  CHECK_THROWS_WITH_AS(conv2d_forward(x3, w, Tensor::zeros({5}), {1, 1}),
                       "conv2d: b must have shape (6), got (5)", ArgumentError);
  CHECK_THROWS_WITH_AS(conv2d_forward(x3, w, b, {0, 1}), "conv2d: stride must be at least 1, got 0",
                       ArgumentError);
  CHECK_THROWS_WITH_AS(conv2d_forward(x3, w, b, {1, -1}),
                       "conv2d: pad must not be negative, got -1", ArgumentError);
  CHECK_THROWS_WITH_AS(conv2d_forward(Tensor::zeros({2, 3, 2, 2}), w, b, {1, 0}),
                       doctest::Contains("conv2d: the 3x3 filter is larger than the padded input"),
                       ArgumentError);
  CHECK_THROWS_WITH_AS(conv2d_forward(Tensor::zeros({3, 8, 8}), w, b, {1, 1}),
                       "conv2d: x must have rank 4, got shape (3,8,8)", ArgumentError);
}

namespace {

// Counted from the bits: with DAZ set, reading a subnormal as a number
// (converting it, comparing it) sees a zero.
std::int64_t nonzeros(const Tensor& t) {
  const float* v = t.data<float>();
  std::int64_t count = 0;
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, v + i, sizeof bits);
    count += (bits & 0x7fffffffu) != 0;
  }
  return count;
}

// FTZ/DAZ cleared on every OpenMP worker thread and then, if `flush`, set
// again on the calling thread only: as after set_flush_denormals(false) and
// back, or on workers that never ran a parallel_for.
void clear_worker_flags(bool flush) {
  set_flush_denormals(false);
  parallel_for(64, 1, [](std::int64_t, std::int64_t) {});  // every worker clears its flags
  set_flush_denormals(flush);
}

// The nonzero outputs of conv2d's float32 forward, dx, dw and db on inputs
// whose products and sums are subnormal (or that read subnormal inputs),
// each computed after clear_worker_flags(flush).
std::vector<std::int64_t> nonzeros_after_cleared_workers(bool flush) {
  set_flush_denormals(false);  // else making x flushes it to zero
  const Tensor x = Tensor::full({64, 16, 16, 16}, 1e-39);
  const Tensor w = Tensor::full({32, 16, 3, 3}, 1e-3);
  const Tensor b = Tensor::zeros({32});
  const Tensor dout = Tensor::full({64, 32, 16, 16}, 1e-39);
  const Tensor ones = Tensor::ones({64, 32, 16, 16});
  clear_worker_flags(flush);
  const auto forward = conv2d_forward(x, w, b, {1, 1});
  // dx alone: conv2d_backward computes dw first, whose parallel_for would
  // set the workers' flags.
  clear_worker_flags(flush);
  const Tensor dx = conv2d_onednn_backward_data(conv2d_geometry("test", x, w, {1, 1}), dout, w);
  clear_worker_flags(flush);
  const Tensor db = conv2d_backward(dout, forward.cache, /*need_dx=*/false).db;
  clear_worker_flags(flush);
  const Tensor dw = conv2d_backward(ones, forward.cache, /*need_dx=*/false).dw;  // x subnormal
  set_flush_denormals(true);
  return {nonzeros(forward.out), nonzeros(dx), nonzeros(dw), nonzeros(db)};
}

}  // namespace

TEST_CASE("conv2d in float32 flushes subnormals on every thread oneDNN computes on") {
  // oneDNN's kernels run on OpenMP pool threads and never set MXCSR
  // themselves: without conv2d setting FTZ/DAZ on each of them first, the
  // part of the output a worker computes stays subnormal. Counted, not timed.
  REQUIRE(flush_denormals());
  const int saved = omp_get_max_threads();
  for (int threads : {2, 3}) {
    CAPTURE(threads);
    omp_set_num_threads(threads);
    // Without flushing, every output is a nonzero subnormal (or, for dw and
    // db, a sum of subnormal products): the test can fail.
    const std::vector<std::int64_t> unflushed = nonzeros_after_cleared_workers(false);
    CHECK(unflushed[0] == 64 * 32 * 16 * 16);
    CHECK(unflushed[1] == 64 * 16 * 16 * 16);
    CHECK(unflushed[2] == 32 * 16 * 3 * 3);
    CHECK(unflushed[3] == 32);
    const std::vector<std::int64_t> flushed = nonzeros_after_cleared_workers(true);
    CHECK(flushed[0] == 0);
    CHECK(flushed[1] == 0);
    CHECK(flushed[2] == 0);
    CHECK(flushed[3] == 0);
  }
  omp_set_num_threads(saved);
}
