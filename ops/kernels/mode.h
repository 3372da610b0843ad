// Whether a layer behaves as in training (batch statistics, random dropout)
// or as at test time (running statistics, identity dropout).
#pragma once

namespace tg {

enum class Mode { train, test };

}  // namespace tg
