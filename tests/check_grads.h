// Test helper: asserts that every input gradient of a check_gradients() run
// is within a relative error bound, reporting each input's error.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "graph/gradcheck.h"

namespace tg::testing {

// names[i] labels input i in failure messages ("x", "w", ...).
inline void require_close(const GradientCheck& check, const std::vector<std::string>& names,
                          double bound) {
  REQUIRE(check.errors.size() == names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    INFO("d", names[i], " relative error ", check.errors[i], " (bound ", bound, ")");
    CHECK(check.errors[i] < bound);
  }
}

}  // namespace tg::testing
