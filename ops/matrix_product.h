// Matrix products whose bits do not depend on the number of threads, for
// kernels (.cc files only: it includes Eigen).
//
// Eigen is built with EIGEN_DONT_PARALLELIZE (third_party/eigen.BUILD): its
// own threaded GEMM picks its blocking, and so the order of the additions
// along the inner dimension, from the thread count (measured: 1 thread and 2
// give other bits for 64x8192 * 8192x100). A product big enough to share is
// split here instead, into blocks chosen from the shapes alone, each block a
// serial GEMM.
#pragma once

#include <algorithm>
#include <cstdint>

#include "graph/eigen.h"
#include "graph/parallel.h"

namespace tg {

// How a product of `split` rows (or columns) is cut: blocks of `size`
// (a multiple of 16, the last one shorter). The count grows with the work
// (multiply-adds) up to kMaxBlocks; every block re-packs the operand that is
// not split, so a few large blocks beat many small ones.
struct ProductBlocks {
  std::int64_t size;
  std::int64_t count;
};

inline ProductBlocks product_blocks(std::int64_t split, std::int64_t other, std::int64_t depth) {
  constexpr double kWorkPerBlock = 1 << 20;  // multiply-adds worth a thread's start
  constexpr std::int64_t kMaxBlocks = 4;
  constexpr std::int64_t kAlign = 16;
  const double work =
      static_cast<double>(split) * static_cast<double>(other) * static_cast<double>(depth);
  const std::int64_t wanted =
      std::clamp<std::int64_t>(static_cast<std::int64_t>(work / kWorkPerBlock), 1, kMaxBlocks);
  std::int64_t size = (split + wanted - 1) / wanted;
  size = std::max<std::int64_t>(kAlign, (size + kAlign - 1) / kAlign * kAlign);
  return {size, std::max<std::int64_t>(1, (split + size - 1) / size)};
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
  const std::int64_t split = by_rows ? rows : cols;
  parallel_for(blocks.count, 1, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t block = first; block < last; ++block) {
      const std::int64_t begin = block * blocks.size;
      const std::int64_t length = std::min(split, begin + blocks.size) - begin;
      if (by_rows) {
        dst.middleRows(begin, length).noalias() = lhs.middleRows(begin, length) * rhs;
      } else {
        dst.middleCols(begin, length).noalias() = lhs * rhs.middleCols(begin, length);
      }
    }
  });
}

}  // namespace tg
