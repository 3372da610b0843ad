#include "graph/buffer.h"

#include <cstdlib>
#include <new>
#include <utility>

namespace tg {

Buffer::Buffer(std::size_t bytes) {
  void* memory;
  if (bytes <= kSmallBytes) {
    memory = std::malloc(kSmallAlignment + bytes);  // malloc aligns to 16
  } else {
    // Round up so that aligned_alloc gets a multiple of the alignment.
    const std::size_t total = (kAlignment + bytes + kAlignment - 1) / kAlignment * kAlignment;
    memory = std::aligned_alloc(kAlignment, total);
  }
  if (memory == nullptr) throw std::bad_alloc();
  block_ = new (memory) Header{{1}, bytes};
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
    block_->~Header();
    std::free(block_);
  }
  block_ = nullptr;
}

}  // namespace tg
