// Small UTF-8 helpers for text that ends up in JSON and SVG files, both of
// which must be valid UTF-8.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tg {

// `text` with every byte that does not begin a well-formed UTF-8 sequence
// (stray continuation bytes, truncated or overlong sequences, surrogates,
// code points past U+10FFFF) replaced by U+FFFD.
std::string to_valid_utf8(std::string_view text);

// The number of code points in valid UTF-8 text.
std::size_t count_code_points(std::string_view valid_utf8);

// Valid UTF-8 text cut to at most `max_code_points` code points, the last of
// them an ellipsis when anything was cut.
std::string truncate_code_points(std::string_view valid_utf8, std::size_t max_code_points);

}  // namespace tg
