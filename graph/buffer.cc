#include "graph/buffer.h"

#include <cstdint>
#include <cstdlib>
#include <new>
#include <utility>

namespace tg {

Buffer::Buffer(std::size_t bytes) {
  void* allocation = std::malloc(kHeaderBytes + bytes + kAlignment - 1);
  if (allocation == nullptr) throw std::bad_alloc();
  // The first 64-byte boundary with room for the header before it.
  const auto start = reinterpret_cast<std::uintptr_t>(allocation) + kHeaderBytes;
  const std::uintptr_t data = (start + kAlignment - 1) / kAlignment * kAlignment;
  block_ = new (reinterpret_cast<void*>(data - kHeaderBytes)) Header{{1}, allocation};
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
