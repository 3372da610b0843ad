// A reference-counted block of memory: the storage behind a Tensor. Header
// and data live in one allocation, so making a tensor costs one malloc;
// copying a Buffer shares the block. Data is 64-byte aligned (a cache line,
// an AVX-512 vector) except in blocks of at most kSmallBytes, which come
// from malloc's fast path with 16-byte alignment: tiny tensors are made and
// freed by the thousand per tape, where aligned_alloc's slow path showed.
#pragma once

#include <atomic>
#include <cstddef>

namespace tg {

class Buffer {
 public:
  static constexpr std::size_t kAlignment = 64;
  static constexpr std::size_t kSmallBytes = 512;
  static constexpr std::size_t kSmallAlignment = 16;

  Buffer() = default;
  explicit Buffer(std::size_t bytes);  // uninitialised contents
  Buffer(const Buffer& other) noexcept;
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(const Buffer& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;
  ~Buffer();

  void* data() const {
    if (!block_) return nullptr;
    return reinterpret_cast<char*>(block_) + (block_->bytes <= kSmallBytes ? kSmallAlignment : kAlignment);
  }
  std::size_t bytes() const { return block_ ? block_->bytes : 0; }
  bool defined() const { return block_ != nullptr; }
  // True when no other Buffer shares this block (safe to write in place).
  bool unique() const { return block_ && block_->refs.load(std::memory_order_acquire) == 1; }
  bool same_block(const Buffer& other) const { return block_ == other.block_; }

 private:
  struct Header {
    std::atomic<long> refs;
    std::size_t bytes;
  };
  static_assert(sizeof(Header) <= kSmallAlignment, "the header must fit in the aligned prefix");

  void release() noexcept;

  Header* block_ = nullptr;
};

}  // namespace tg
