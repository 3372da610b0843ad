// L2 weight penalty in the CS231n convention: 0.5 * reg * sum(w^2), whose
// gradient is reg * w.
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

// Tape op: a scalar (shape ()).
Var l2_penalty(const Var& w, double reg);

}  // namespace tg
