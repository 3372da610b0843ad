// BackwardFn: the type-erased backward closure of a tape node. Like
// std::function, but move-only and with room for the closure inside it (up
// to kInlineBytes), so recording an op with a small cache allocates nothing
// for its closure; std::function would allocate for any closure holding a
// Tensor.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace tg {

class Tensor;
class InputGrads;

class BackwardFn {
 public:
  static constexpr std::size_t kInlineBytes = 160;

  BackwardFn() = default;
  BackwardFn(std::nullptr_t) {}  // NOLINT(google-explicit-constructor): "no closure"

  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, BackwardFn> &&
                                              !std::is_same_v<std::decay_t<F>, std::nullptr_t>>>
  BackwardFn(F&& f) {  // NOLINT(google-explicit-constructor): lambdas convert implicitly
    using Closure = std::decay_t<F>;
    if constexpr (sizeof(Closure) <= kInlineBytes &&
                  alignof(Closure) <= alignof(std::max_align_t) &&
                  std::is_nothrow_move_constructible_v<Closure>) {
      new (storage_) Closure(std::forward<F>(f));
      ops_ = &inline_ops<Closure>;
    } else {
      *reinterpret_cast<Closure**>(storage_) = new Closure(std::forward<F>(f));
      ops_ = &heap_ops<Closure>;
    }
  }

  BackwardFn(BackwardFn&& other) noexcept { take(other); }
  BackwardFn& operator=(BackwardFn&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }
  BackwardFn& operator=(std::nullptr_t) noexcept {
    reset();
    return *this;
  }
  BackwardFn(const BackwardFn&) = delete;
  BackwardFn& operator=(const BackwardFn&) = delete;
  ~BackwardFn() { reset(); }

  explicit operator bool() const { return ops_ != nullptr; }
  void operator()(const Tensor& dout, InputGrads& grads) { ops_->call(storage_, dout, grads); }

 private:
  struct Ops {
    void (*call)(void* storage, const Tensor& dout, InputGrads& grads);
    void (*move)(void* from, void* to) noexcept;  // move-constructs into `to`, destroys `from`
    void (*destroy)(void* storage) noexcept;
  };

  template <class Closure>
  static constexpr Ops inline_ops = {
      [](void* s, const Tensor& dout, InputGrads& grads) {
        (*static_cast<Closure*>(s))(dout, grads);
      },
      [](void* from, void* to) noexcept {
        new (to) Closure(std::move(*static_cast<Closure*>(from)));
        static_cast<Closure*>(from)->~Closure();
      },
      [](void* s) noexcept { static_cast<Closure*>(s)->~Closure(); },
  };

  template <class Closure>
  static constexpr Ops heap_ops = {
      [](void* s, const Tensor& dout, InputGrads& grads) {
        (**static_cast<Closure**>(s))(dout, grads);
      },
      [](void* from, void* to) noexcept {
        *static_cast<Closure**>(to) = *static_cast<Closure**>(from);
      },
      [](void* s) noexcept { delete *static_cast<Closure**>(s); },
  };

  void take(BackwardFn& other) noexcept {
    if (other.ops_ == nullptr) return;
    other.ops_->move(other.storage_, storage_);
    ops_ = other.ops_;
    other.ops_ = nullptr;
  }

  void reset() noexcept {
    if (ops_ != nullptr) ops_->destroy(storage_);
    ops_ = nullptr;
  }

  alignas(std::max_align_t) unsigned char storage_[kInlineBytes];
  const Ops* ops_ = nullptr;
};

}  // namespace tg
