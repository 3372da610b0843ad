// ops/kernels/matrix_product.h against a plain triple loop in double, on shapes on
// both sides of the oneDNN threshold, odd sizes, blocks of larger matrices
// (row strides above the width), transposed views and accumulation; which
// kernel runs on which side of the threshold; the split into blocks (equal
// lengths, every row once) and its bits for any thread count.
#include "ops/kernels/matrix_product.h"

#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <limits>
#include <vector>

#include "graph/eigen.h"
#include "graph/rng.h"
#include "graph/tensor.h"

using namespace tg;

namespace {

template <class T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

template <class T>
Matrix<T> random_matrix(std::int64_t rows, std::int64_t cols, Rng& rng) {
  const Tensor t = Tensor::randn({rows, cols}, rng, dtype_of<T>());
  return as_matrix<T>(t);
}

// The largest |got - want| relative to the sum of |terms| of each element:
// float's rounding bounds it by about depth * 2^-24 whatever the summation order.
template <class T, class Got, class Lhs, class Rhs>
double worst_relative_error(const Got& got, const Lhs& lhs, const Rhs& rhs, const Matrix<T>& before,
                            bool accumulate) {
  double worst = 0;
  for (std::int64_t i = 0; i < got.rows(); ++i) {
    for (std::int64_t j = 0; j < got.cols(); ++j) {
      double want = accumulate ? static_cast<double>(before(i, j)) : 0.0;
      double scale = std::abs(want);
      for (std::int64_t p = 0; p < lhs.cols(); ++p) {
        const double term = static_cast<double>(lhs(i, p)) * static_cast<double>(rhs(p, j));
        want += term;
        scale += std::abs(term);
      }
      worst = std::max(worst, std::abs(static_cast<double>(got(i, j)) - want) / (scale + 1e-30));
    }
  }
  return worst;
}

// A bound on float's (or double's) rounding whatever the order of the
// additions: (depth + 1) units in the last place of the sum of |terms|.
template <class T>
double rounding_bound(std::int64_t depth) {
  return static_cast<double>(depth + 1) * std::numeric_limits<T>::epsilon() / 2;
}

template <class T>
void check_products() {
  struct Case {
    std::int64_t m, n, k;
  };
  Rng rng(3);
  // 31x32x32 is just below kSgemmMinWork (32^3), 32x32x33 just above.
  for (const Case& c : {Case{3, 5, 7}, Case{31, 32, 32}, Case{32, 32, 33}, Case{40, 150, 60},
                        Case{1, 300, 257}, Case{257, 1, 300}, Case{97, 113, 301}}) {
    CAPTURE(c.m);
    CAPTURE(c.n);
    CAPTURE(c.k);
    const double bound = rounding_bound<T>(c.k);
    for (bool accumulate : {false, true}) {
      CAPTURE(accumulate);
      // Plain operands.
      const Matrix<T> a = random_matrix<T>(c.m, c.k, rng), b = random_matrix<T>(c.k, c.n, rng);
      const Matrix<T> before = random_matrix<T>(c.m, c.n, rng);
      Matrix<T> out = before;
      multiply(MatrixView<T>(out.data(), c.m, c.n), ConstMatrixView<T>(a.data(), c.m, c.k),
               ConstMatrixView<T>(b.data(), c.k, c.n), accumulate);
      CHECK(worst_relative_error<T>(out, a, b, before, accumulate) < bound);

      // Transposed views of stored transposes, into a block of a wider matrix.
      const Matrix<T> at = random_matrix<T>(c.k, c.m + 3, rng);
      const Matrix<T> bt = random_matrix<T>(c.n, c.k + 2, rng);
      Matrix<T> wide = random_matrix<T>(c.m, c.n + 5, rng);
      const Matrix<T> wide_before = wide;
      const Matrix<T> block_before = wide.middleCols(1, c.n);
      auto lhs = ConstMatrixView<T>(at.data(), c.k, c.m + 3).leftCols(c.m).transpose();
      auto rhs = ConstMatrixView<T>(bt.data(), c.n, c.k + 2).leftCols(c.k).transpose();
      multiply(MatrixView<T>(wide.data(), c.m, c.n + 5).middleCols(1, c.n), lhs, rhs, accumulate);
      CHECK(worst_relative_error<T>(wide.middleCols(1, c.n), lhs, rhs, block_before, accumulate) <
            bound);
      CHECK(wide.col(0) == wide_before.col(0));  // columns outside the block untouched
      CHECK(wide.rightCols(4) == wide_before.rightCols(4));
    }
  }
}

}  // namespace

TEST_CASE("multiply matches a double triple loop: float (oneDNN above the threshold) and double") {
  check_products<float>();
  check_products<double>();
}

TEST_CASE("product blocks: nearly equal, aligned to 16, every row once") {
  for (std::int64_t split : {1, 15, 16, 17, 40, 100, 200, 3072, 3073}) {
    for (std::int64_t other : {1, 100, 4096}) {
      const ProductBlocks blocks = product_blocks(split, other, 3072);
      CAPTURE(split);
      CAPTURE(other);
      REQUIRE(blocks.count >= 1);
      CHECK(blocks.count <= 4);
      for (std::int64_t b = 0; b < blocks.count; ++b) {
        const std::int64_t length = block_begin(blocks, b + 1) - block_begin(blocks, b);
        if (blocks.count > 1) CHECK(length >= 16);
        CHECK(length <= split / blocks.count + 16);
        if (b > 0) CHECK(block_begin(blocks, b) % 16 == 0);
      }
    }
  }
  // mlp_step's first layer: 200 rows in 4 blocks, 96 and 104 rows per thread of two.
  const ProductBlocks mlp = product_blocks(200, 100, 3072);
  CHECK(mlp.count == 4);
  CHECK(block_begin(mlp, 2) == 96);
}

TEST_CASE("multiply runs oneDNN's sgemm from 32^3 multiply-adds on, Eigen below") {
  Rng rng(5);
  struct Case {
    std::int64_t m, n, k;
    bool sgemm;
  };
  // Deep products, where the two libraries add in other orders (they agree
  // bit for bit on shallow ones); 2x4x4000 is below the threshold, 2x4x4200 above.
  for (const Case& c :
       {Case{2, 4, 4000, false}, Case{2, 4, 4200, true}, Case{64, 100, 300, true}}) {
    CAPTURE(c.k);
    const Matrix<float> a = random_matrix<float>(c.m, c.k, rng);
    const Matrix<float> b = random_matrix<float>(c.k, c.n, rng);
    Matrix<float> got(c.m, c.n), by_sgemm(c.m, c.n);
    multiply(MatrixView<float>(got.data(), c.m, c.n), ConstMatrixView<float>(a.data(), c.m, c.k),
             ConstMatrixView<float>(b.data(), c.k, c.n));
    sgemm_one_thread(c.m, c.n, c.k, {a.data(), c.k, false}, {b.data(), c.n, false}, by_sgemm.data(),
                     c.n, false);
    const Matrix<float> by_eigen = a * b;
    REQUIRE(by_sgemm != by_eigen);  // else the checks below tell nothing
    CHECK((got == by_sgemm) == c.sgemm);
    CHECK((got == by_eigen) == !c.sgemm);
  }
}

TEST_CASE("multiply reads a step of (N, T, K) rows: a view with a row stride of T * K") {
  // ops/recurrent/recurrent_kernels.h's step_rows: rows n of step t at x + (n * T + t) * K.
  const std::int64_t n = 40, steps = 3, k = 64, out_cols = 48;
  Rng rng(6);
  const Matrix<float> sequence = random_matrix<float>(n, steps * k, rng);
  const Matrix<float> w = random_matrix<float>(k, out_cols, rng);
  using StepView =
      Eigen::Map<const Matrix<float>, Eigen::Unaligned, Eigen::OuterStride<Eigen::Dynamic>>;
  const StepView step(sequence.data() + 1 * k, n, k, Eigen::OuterStride<Eigen::Dynamic>(steps * k));
  Matrix<float> out(n, out_cols);
  multiply(MatrixView<float>(out.data(), n, out_cols), step,
           ConstMatrixView<float>(w.data(), k, out_cols));
  CHECK(worst_relative_error<float>(out, step, w, Matrix<float>::Zero(n, out_cols), false) <
        rounding_bound<float>(k));
}

TEST_CASE(
    "multiply_in_blocks matches a double triple loop, with the same bits for any thread count") {
  Rng rng(4);
  for (bool tall : {true, false}) {
    CAPTURE(tall);
    const std::int64_t m = tall ? 203 : 37, n = tall ? 37 : 203, k = 501;
    const Matrix<float> a = random_matrix<float>(m, k, rng), b = random_matrix<float>(k, n, rng);
    const int saved = omp_get_max_threads();
    Matrix<float> one_thread;
    for (int threads : {1, 2, 3}) {
      CAPTURE(threads);
      omp_set_num_threads(threads);
      Matrix<float> out(m, n);
      multiply_in_blocks(MatrixView<float>(out.data(), m, n),
                         ConstMatrixView<float>(a.data(), m, k),
                         ConstMatrixView<float>(b.data(), k, n));
      CHECK(worst_relative_error<float>(out, a, b, Matrix<float>::Zero(m, n), false) <
            rounding_bound<float>(k));
      if (threads == 1) one_thread = out;
      CHECK(out == one_thread);
    }
    omp_set_num_threads(saved);
  }
}
