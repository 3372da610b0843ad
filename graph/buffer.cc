#include "graph/buffer.h"

#include <fmt/format.h>

#include <cstdint>
#include <cstdlib>
#include <new>
#include <utility>

#include "graph/errors.h"

namespace tg {
namespace {

thread_local AllocationBudget* innermost_budget = nullptr;

}  // namespace

AllocationBudget::AllocationBudget(std::string owner, std::uint64_t bytes)
    : owner_(std::move(owner)), limit_(bytes), outer_(innermost_budget) {
  innermost_budget = this;
}

AllocationBudget::~AllocationBudget() { innermost_budget = outer_; }

void AllocationBudget::charge(std::size_t bytes) {
  AllocationBudget* budget = innermost_budget;
  if (budget == nullptr) return;
  if (bytes > budget->limit_ - budget->used_) {
    throw ArgumentError(fmt::format(
        "{}: building it would allocate more than {} bytes ({} so far, {} more asked for)",
        budget->owner_, budget->limit_, budget->used_, bytes));
  }
  budget->used_ += bytes;
}

Buffer::Buffer(std::size_t bytes) {
  if (bytes > kMaxBytes) {
    throw ArgumentError(
        fmt::format("Buffer: {} bytes requested, more than the {} bytes (2^48) a tensor may hold",
                    bytes, kMaxBytes));
  }
  AllocationBudget::charge(bytes);
  // No overflow: bytes is far below SIZE_MAX minus the header and alignment.
  const std::size_t total = kHeaderBytes + bytes + kAlignment - 1;
  void* allocation = std::malloc(total);
  if (allocation == nullptr) {
    throw MemoryError(fmt::format("Buffer: the system refused {} bytes for a tensor", total));
  }
  // The first 64-byte boundary with room for the header before it.
  const auto start = reinterpret_cast<std::uintptr_t>(allocation) + kHeaderBytes;
  const std::uintptr_t data = (start + kAlignment - 1) / kAlignment * kAlignment;
  block_ = new (reinterpret_cast<void*>(data - kHeaderBytes)) Header{{1}, allocation, 0};
}

Buffer::Buffer(const Buffer& other) noexcept : block_(other.block_) {
  if (block_) block_->refs.fetch_add(1, std::memory_order_relaxed);
}

Buffer::Buffer(Buffer&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}

Buffer& Buffer::operator=(const Buffer& other) noexcept {
  if (this != &other) {
    if (other.block_) other.block_->refs.fetch_add(1, std::memory_order_relaxed);
    release();
    block_ = other.block_;
  }
  return *this;
}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    release();
    block_ = std::exchange(other.block_, nullptr);
  }
  return *this;
}

Buffer::~Buffer() { release(); }

void Buffer::release() noexcept {
  if (block_ && block_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    void* allocation = block_->allocation;
    block_->~Header();
    std::free(allocation);
  }
  block_ = nullptr;
}

}  // namespace tg
