#include "graph/op.h"

#include <fmt/format.h>

#include "graph/errors.h"

namespace tg {

Op::Op(std::string_view name, std::initializer_list<Var> inputs) : name_(name) {
  if (static_cast<int>(inputs.size()) > Tape::kMaxInputs) {
    throw TapeError(fmt::format("{}: an op takes at most {} inputs, got {}", name, Tape::kMaxInputs,
                                inputs.size()));
  }
  for (const Var& v : inputs) {
    if (!v.defined()) {
      throw ArgumentError(fmt::format("{}: input {} is undefined", name, num_inputs_));
    }
    if (v.on_tape()) {
      if (tape_ != nullptr && tape_ != v.tape_) {
        throw TapeError(fmt::format(
            "{}: inputs come from two different tapes; all values of one forward pass must "
            "share a tape",
            name));
      }
      tape_ = v.tape_;
    }
    inputs_[num_inputs_++] = v;
  }
  if (tape_ == nullptr) {
    throw TapeError(fmt::format(
        "{}: no input is on a tape; wrap tensors with tape.constant() or tape.variable()", name));
  }
  for (int i = 0; i < num_inputs_; ++i) {
    if (!inputs_[i].on_tape()) inputs_[i] = tape_->param(inputs_[i].param_);
  }
}

Var Op::finish(Tensor out, BackwardFn backward) {
  return tape_->record(name_, std::move(out), inputs_, num_inputs_, std::move(backward));
}

}  // namespace tg
