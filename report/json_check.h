// Checking that text is well-formed JSON (RFC 8259 syntax; duplicate keys and
// UTF-8 validity are not checked).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace tg {

// The byte offset of the first syntax error in `text`, or nothing when `text`
// is exactly one JSON value with optional white space around it. Nesting
// deeper than 512 levels counts as an error.
std::optional<std::size_t> find_json_error(std::string_view text);

inline bool is_valid_json(std::string_view text) { return !find_json_error(text).has_value(); }

}  // namespace tg
