// A reference-counted, 64-byte aligned block of memory: the storage behind a
// Tensor. Header and data live in one malloc'ed allocation (malloc's fast
// path: tiny tensors are made and freed by the thousand per tape, where
// aligned_alloc's slow path showed), aligned by hand; copying a Buffer
// shares the block.
//
// The alignment is the same for every tensor on purpose: Eigen's kernels
// take different (vectorised or peeled) paths for different alignments, which
// round differently, so results would otherwise depend on where malloc put a
// tensor, and runs (and resumed runs) would not repeat bit for bit.
#pragma once

#include <atomic>
#include <cstddef>

namespace tg {

class Buffer {
 public:
  static constexpr std::size_t kAlignment = 64;

  Buffer() = default;
  explicit Buffer(std::size_t bytes);  // uninitialised contents
  Buffer(const Buffer& other) noexcept;
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(const Buffer& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;
  ~Buffer();

  void* data() const { return block_ ? reinterpret_cast<char*>(block_) + kHeaderBytes : nullptr; }
  bool defined() const { return block_ != nullptr; }
  // True when no other Buffer shares this block (safe to write in place).
  bool unique() const { return block_ && block_->refs.load(std::memory_order_acquire) == 1; }
  bool same_block(const Buffer& other) const { return block_ == other.block_; }

 private:
  // Sits right before the data.
  struct Header {
    std::atomic<long> refs;
    void* allocation;  // what malloc returned
  };
  static constexpr std::size_t kHeaderBytes = 32;
  static_assert(sizeof(Header) <= kHeaderBytes, "the header must fit before the data");

  void release() noexcept;

  Header* block_ = nullptr;
};

}  // namespace tg
