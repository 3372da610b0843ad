// Class labels of a minibatch: one integer in [0, num_classes) per example.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace tg {

using Labels = std::vector<std::int32_t>;

// Throws ArgumentError naming the op unless there are n labels, each in
// [0, num_classes).
void check_labels(std::string_view op, const Labels& labels, std::int64_t n,
                  std::int64_t num_classes);

}  // namespace tg
