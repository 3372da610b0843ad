// Matrix products for kernels (.cc files only: it includes Eigen): on one
// thread (multiply) or spread over the threads (multiply_in_blocks), their
// bits never depending on the number of threads.
//
// Eigen is built with EIGEN_DONT_PARALLELIZE (third_party/eigen.BUILD): its
// own threaded GEMM picks its blocking, and so the order of the additions
// along the inner dimension, from the thread count (measured: 1 thread and 2
// give other bits for 64x8192 * 8192x100). A product big enough to share is
// split here instead, into blocks chosen from the shapes alone, each block a
// serial GEMM.
//
// float products of at least kSgemmMinWork multiply-adds run on oneDNN's
// sgemm (its JIT AVX-512/AVX2 kernels), the rest on Eigen. Measured on one
// thread of the Zen 4 EPYC: 200x3072 * 3072x100 Eigen 82 GFLOP/s, oneDNN 98;
// 128x128 * 128x128 60 us against 38; at 32x32 * 32x32 they tie, and below
// oneDNN's call costs more than the product.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "graph/eigen.h"
#include "graph/parallel.h"

namespace tg {

// How a product of `split` rows (or columns) is cut: `count` blocks of
// nearly equal length, each starting on a multiple of 16 (block_begin). The
// count grows with the work (multiply-adds) up to kMaxBlocks; every block
// re-packs the operand that is not split, so a few large blocks beat many
// small ones. Equal lengths matter: with two threads, 200 rows cut 64/64/64/8
// left one thread idle for a third of the product (perf: 29% libgomp wait).
struct ProductBlocks {
  std::int64_t extent;  // rows (or columns) cut
  std::int64_t count;
};

inline ProductBlocks product_blocks(std::int64_t split, std::int64_t other, std::int64_t depth) {
  constexpr double kWorkPerBlock = 1 << 20;  // multiply-adds worth a thread's start
  constexpr std::int64_t kMaxBlocks = 4;
  constexpr std::int64_t kMinLength = 16;
  const double work =
      static_cast<double>(split) * static_cast<double>(other) * static_cast<double>(depth);
  const std::int64_t wanted =
      std::clamp<std::int64_t>(static_cast<std::int64_t>(work / kWorkPerBlock), 1, kMaxBlocks);
  return {split, std::clamp<std::int64_t>(split / kMinLength, 1, wanted)};
}

// First row (or column) of block `block` of `blocks`; block_begin(blocks,
// blocks.count) is the end. Rounded down to a multiple of 16 so that every
// block but the last packs whole vector panels.
inline std::int64_t block_begin(const ProductBlocks& blocks, std::int64_t block) {
  if (block >= blocks.count) return blocks.extent;
  constexpr std::int64_t kAlign = 16;
  return block * blocks.extent / blocks.count / kAlign * kAlign;
}

// A float matrix as oneDNN's row-major sgemm reads it: element (i, j) at
// data[i * stride + j], or at data[j * stride + i] when transposed.
struct SgemmMatrix {
  const float* data;
  std::int64_t stride;
  bool transposed;
};

// c (m, n; row stride ldc) = a (m, k) * b (k, n), or c += a * b with
// `accumulate`, on the calling thread: oneDNN would otherwise spread a call
// made outside a parallel region over the threads, its bits then following
// their number. A failure is a tg::Error naming oneDNN's status.
void sgemm_one_thread(std::int64_t m, std::int64_t n, std::int64_t k, SgemmMatrix a, SgemmMatrix b,
                      float* c, std::int64_t ldc, bool accumulate);

// Multiply-adds from which oneDNN's sgemm beats Eigen (they tie at 32^3).
constexpr double kSgemmMinWork = 32.0 * 32.0 * 32.0;

// x as an SgemmMatrix, or false when it is not a float matrix in memory with
// consecutive elements along its rows or along its columns.
template <class X>
bool as_sgemm_matrix(const X& x, SgemmMatrix* out) {
  using Plain = std::decay_t<X>;
  if constexpr (!std::is_same_v<typename Plain::Scalar, float> ||
                !(Plain::Flags & Eigen::DirectAccessBit)) {
    return false;
  } else {
    if (x.innerStride() != 1) return false;
    const bool row_major = Plain::IsRowMajor;
    const std::int64_t inner = row_major ? x.cols() : x.rows();
    const std::int64_t outer = row_major ? x.rows() : x.cols();
    const std::int64_t stride = outer == 1 ? inner : x.outerStride();
    if (stride < inner) return false;
    *out = {x.data(), stride, !row_major};
    return true;
  }
}

// dst = lhs * rhs, or dst += lhs * rhs with `accumulate`, on the calling
// thread, for Eigen matrix expressions (views, blocks, transposed views).
// dst must not alias lhs or rhs.
template <class Dst, class Lhs, class Rhs>
void multiply(Dst&& dst, const Lhs& lhs, const Rhs& rhs, bool accumulate = false) {
  using PlainDst = std::decay_t<Dst>;
  if constexpr (PlainDst::IsRowMajor && std::is_same_v<typename PlainDst::Scalar, float>) {
    const std::int64_t m = dst.rows(), n = dst.cols(), k = lhs.cols();
    SgemmMatrix a{}, b{}, c{};
    if (static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) >= kSgemmMinWork &&
        as_sgemm_matrix(lhs, &a) && as_sgemm_matrix(rhs, &b) && as_sgemm_matrix(dst, &c)) {
      sgemm_one_thread(m, n, k, a, b, dst.data(), c.stride, accumulate);
      return;
    }
  }
  if (accumulate) {
    dst.noalias() += lhs * rhs;
  } else {
    dst.noalias() = lhs * rhs;
  }
}

// dst = lhs * rhs for Eigen matrix expressions (views, transposed views):
// blocks of dst's rows when it is at least as tall as wide (each block
// re-packs rhs), else blocks of its columns (each re-packs lhs), spread over
// the threads. dst must not alias lhs or rhs.
template <class Dst, class Lhs, class Rhs>
void multiply_in_blocks(Dst dst, const Lhs& lhs, const Rhs& rhs) {
  const std::int64_t rows = dst.rows(), cols = dst.cols(), depth = lhs.cols();
  const bool by_rows = rows >= cols;
  const ProductBlocks blocks =
      by_rows ? product_blocks(rows, cols, depth) : product_blocks(cols, rows, depth);
  parallel_for(blocks.count, 1, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t block = first; block < last; ++block) {
      const std::int64_t begin = block_begin(blocks, block);
      const std::int64_t length = block_begin(blocks, block + 1) - begin;
      if (by_rows) {
        multiply(dst.middleRows(begin, length), lhs.middleRows(begin, length), rhs);
      } else {
        multiply(dst.middleCols(begin, length), lhs, rhs.middleCols(begin, length));
      }
    }
  });
}

}  // namespace tg
