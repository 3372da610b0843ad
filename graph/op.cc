#include "graph/op.h"

#include <fmt/format.h>

#include "graph/errors.h"

namespace tg {

Op::Op(OpName name, std::initializer_list<Var> inputs) : name_(name) {
  place_inputs(inputs.begin(), inputs.end());
}

Op::Op(OpName name, const std::vector<Var>& inputs) : name_(name) {
  place_inputs(inputs.begin(), inputs.end());
}

template <class It>
void Op::place_inputs(It first, It last) {
  int i = 0;
  for (It v = first; v != last; ++v, ++i) {
    if (!v->defined()) {
      throw ArgumentError(fmt::format("{}: input {} is undefined", name_, i));
    }
    if (!v->on_tape()) continue;
    Tape* tape = v->link_->tape;
    if (tape == nullptr) {
      throw TapeError(fmt::format(
          "{}: input {} belongs to a tape that was destroyed; a Var must not outlive its Tape",
          name_, i));
    }
    if (tape_ != nullptr && tape_ != tape) {
      throw TapeError(fmt::format(
          "{}: inputs come from two different tapes; all values of one forward pass must "
          "share a tape",
          name_));
    }
    tape_ = tape;
  }
  if (tape_ == nullptr) {
    throw TapeError(fmt::format(
        "{}: no input is on a tape; wrap tensors with tape.constant() or tape.variable()", name_));
  }
  num_inputs_ = i;
  first_edge_ = static_cast<std::int32_t>(tape_->edges_.size());
  for (It v = first; v != last; ++v) {
    tape_->add_edge(v->on_tape() ? v->id_ : tape_->param_node(v->param_));
  }
}

const Tensor& Op::input(int i) const {
  if (i < 0 || i >= num_inputs_) {
    throw ArgumentError(
        fmt::format("{}: input {} does not exist (the op has {} inputs)", name_, i, num_inputs_));
  }
  return tape_->edge_value(first_edge_ + i);
}

std::int32_t Op::record(Tensor* outs, std::int32_t count, BackwardFn backward) {
  if (finished_) throw TapeError(fmt::format("{}: finish() was already called", name_));
  finished_ = true;
  return tape_->record(name_, outs, count, first_edge_, num_inputs_, std::move(backward));
}

Var Op::finish(Tensor out, BackwardFn backward) {
  return tape_->var(record(&out, 1, std::move(backward)));
}

std::vector<Var> Op::finish(std::vector<Tensor> outs, BackwardFn backward) {
  if (outs.empty()) throw TapeError(fmt::format("{}: finish() needs at least one output", name_));
  const auto count = static_cast<std::int32_t>(outs.size());
  const std::int32_t first = record(outs.data(), count, std::move(backward));
  std::vector<Var> vars;
  vars.reserve(outs.size());
  for (std::int32_t k = 0; k < count; ++k) vars.push_back(tape_->var(first + k));
  return vars;
}

}  // namespace tg
