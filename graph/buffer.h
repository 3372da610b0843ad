// A reference-counted, 64-byte aligned block of memory: the storage behind a
// Tensor. Header and data live in one malloc'ed allocation (malloc's fast
// path: tiny tensors are made and freed by the thousand per tape, where
// aligned_alloc's slow path showed), aligned by hand; copying a Buffer
// shares the block.
//
// The header also holds the storage's version: a count of the in-place
// writes to it (Tensor::add_, copy_, ..., mark_modified()), shared by every
// Tensor viewing the storage. The tape compares versions to catch a tensor
// saved for backward and changed before backward runs. It is not atomic: a
// storage is written by one thread at a time.
//
// The alignment is the same for every tensor on purpose: Eigen's kernels
// take different (vectorised or peeled) paths for different alignments, which
// round differently, so results would otherwise depend on where malloc put a
// tensor, and runs (and resumed runs) would not repeat bit for bit.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace tg {

class Buffer {
 public:
  static constexpr std::size_t kAlignment = 64;
  // The most one buffer may hold: 2^48 bytes (256 TiB), above any address
  // space a malloc can serve.
  static constexpr std::size_t kMaxBytes = std::size_t{1} << 48;

  Buffer() = default;
  // Uninitialised contents. Throws ArgumentError above kMaxBytes and
  // MemoryError when the system refuses the memory.
  explicit Buffer(std::size_t bytes);
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

  // 0 for an undefined buffer and for a new one.
  std::uint32_t version() const { return block_ ? block_->version : 0; }
  void bump_version() const {
    if (block_) ++block_->version;
  }

 private:
  // Sits right before the data.
  struct Header {
    std::atomic<long> refs;
    void* allocation;       // what malloc returned
    std::uint32_t version;  // in-place writes so far (compared for equality only)
  };
  static constexpr std::size_t kHeaderBytes = 32;
  static_assert(sizeof(Header) <= kHeaderBytes, "the header must fit before the data");

  void release() noexcept;

  Header* block_ = nullptr;
};

// A limit on the bytes of the buffers this thread allocates while it lives:
// a model file builds its model under one, so that a damaged configuration
// (a width of 10^12) is refused before it asks the system for the memory.
// A new Buffer beyond the limit throws ArgumentError naming `owner`.
// Budgets nest (the innermost counts); the one thread-local pointer behind
// them is the only state this header keeps.
class AllocationBudget {
 public:
  AllocationBudget(std::string owner, std::uint64_t bytes);
  ~AllocationBudget();
  AllocationBudget(const AllocationBudget&) = delete;
  AllocationBudget& operator=(const AllocationBudget&) = delete;

  std::uint64_t used() const { return used_; }
  // Called by Buffer's constructor for the innermost budget, if any.
  static void charge(std::size_t bytes);

 private:
  std::string owner_;
  std::uint64_t limit_;
  std::uint64_t used_ = 0;
  AllocationBudget* outer_;
};

}  // namespace tg
