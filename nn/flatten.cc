#include "nn/flatten.h"

#include "ops/shape/reshape.h"

namespace tg {

Var Flatten::forward(const Var& x) { return flatten(x); }

}  // namespace tg
