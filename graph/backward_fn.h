// BackwardFn: the type-erased backward closure of a tape node. Like
// std::function, but move-only and with room for the closure inside it (up
// to kInlineBytes), so recording an op with a small cache allocates nothing
// for its closure; std::function would allocate for any closure holding a
// Tensor.
//
// A closure has one of two signatures, detected at compile time:
//
//   [cache](const Tensor& dout, InputGrads& grads) {...}         // one output
//   [cache](const OutputGrads& douts, InputGrads& grads) {...}   // any number
//
// dout is the gradient of the loss with respect to the op's output; douts[i]
// the one of output i. InputGrads (graph/tape.h) takes the gradients of the
// op's inputs: grads.add(i, dx_i), grads.wants(i).
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

#include "graph/tensor.h"

namespace tg {

class InputGrads;

// The upstream gradients of an op's outputs, given to a backward closure.
// douts[i] is the gradient of the loss with respect to output i, or an
// undefined Tensor when the loss does not depend on output i (it then counts
// as zero; nothing was allocated for it): check douts.defined(i) before
// reading it. At least one is defined whenever a closure runs.
class OutputGrads {
 public:
  int size() const { return count_; }
  // Throws TapeError for i outside [0, size()).
  const Tensor& operator[](int i) const {
    if (i < 0 || i >= count_) throw_out_of_range(i);
    return grads_[i];
  }
  bool defined(int i) const { return (*this)[i].defined(); }

 private:
  friend class Tape;
  friend class BackwardFn;
  OutputGrads(const Tensor* grads, int count) : grads_(grads), count_(count) {}
  [[noreturn]] void throw_out_of_range(int i) const;  // in tape.cc

  const Tensor* grads_;
  int count_;
};

class BackwardFn {
 public:
  static constexpr std::size_t kInlineBytes = 160;

  BackwardFn() = default;
  BackwardFn(std::nullptr_t) {}  // NOLINT(google-explicit-constructor): "no closure"

  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, BackwardFn> &&
                                              !std::is_same_v<std::decay_t<F>, std::nullptr_t>>>
  BackwardFn(F&& f) {  // NOLINT(google-explicit-constructor): lambdas convert implicitly
    using Closure = std::decay_t<F>;
    static_assert(kOneOutput<Closure> || kAllOutputs<Closure>,
                  "a backward closure takes (const Tensor& dout, InputGrads& grads) or "
                  "(const OutputGrads& douts, InputGrads& grads)");
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
  // True for a closure of the (const OutputGrads&, InputGrads&) form: the
  // only form an op with several outputs accepts.
  bool takes_all_outputs() const { return ops_ != nullptr && ops_->all_outputs; }
  void operator()(const OutputGrads& douts, InputGrads& grads) {
    ops_->call(storage_, douts, grads);
  }

 private:
  // (const Tensor&, InputGrads&) is tried first, so that a generic lambda
  // taking (const auto& dout, auto& grads) counts as a one-output closure.
  template <class Closure>
  static constexpr bool kOneOutput = std::is_invocable_v<Closure&, const Tensor&, InputGrads&>;
  template <class Closure>
  static constexpr bool kAllOutputs =
      !kOneOutput<Closure> && std::is_invocable_v<Closure&, const OutputGrads&, InputGrads&>;

  struct Ops {
    void (*call)(void* storage, const OutputGrads& douts, InputGrads& grads);
    void (*move)(void* from, void* to) noexcept;  // move-constructs into `to`, destroys `from`
    void (*destroy)(void* storage) noexcept;
    bool all_outputs;
  };

  template <class Closure>
  static void invoke(Closure& closure, const OutputGrads& douts, InputGrads& grads) {
    if constexpr (kOneOutput<Closure>) {
      closure(douts.grads_[0], grads);  // a one-output op: its gradient is defined
    } else {
      closure(douts, grads);
    }
  }

  template <class Closure>
  static constexpr Ops inline_ops = {
      [](void* s, const OutputGrads& douts, InputGrads& grads) {
        invoke(*static_cast<Closure*>(s), douts, grads);
      },
      [](void* from, void* to) noexcept {
        new (to) Closure(std::move(*static_cast<Closure*>(from)));
        static_cast<Closure*>(from)->~Closure();
      },
      [](void* s) noexcept { static_cast<Closure*>(s)->~Closure(); },
      kAllOutputs<Closure>,
  };

  template <class Closure>
  static constexpr Ops heap_ops = {
      [](void* s, const OutputGrads& douts, InputGrads& grads) {
        invoke(**static_cast<Closure**>(s), douts, grads);
      },
      [](void* from, void* to) noexcept {
        *static_cast<Closure**>(to) = *static_cast<Closure**>(from);
      },
      [](void* s) noexcept { delete *static_cast<Closure**>(s); },
      kAllOutputs<Closure>,
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
