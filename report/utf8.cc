#include "report/utf8.h"

namespace tg {
namespace {

bool in_range(unsigned char byte, unsigned char low, unsigned char high) {
  return byte >= low && byte <= high;
}

// The length of the well-formed sequence starting at text[at], or 0
// (Unicode's table of well-formed byte sequences, section 3.9).
std::size_t sequence_length(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
  const std::size_t left = text.size() - at;
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  if (in_range(lead, 0xC2, 0xDF)) return left >= 2 && in_range(byte(1), 0x80, 0xBF) ? 2 : 0;
  if (in_range(lead, 0xE0, 0xEF)) {
    if (left < 3) return 0;
    const unsigned char low = lead == 0xE0 ? 0xA0 : 0x80;   // no overlong forms
    const unsigned char high = lead == 0xED ? 0x9F : 0xBF;  // no surrogates
    return in_range(byte(1), low, high) && in_range(byte(2), 0x80, 0xBF) ? 3 : 0;
  }
  if (in_range(lead, 0xF0, 0xF4)) {
    if (left < 4) return 0;
    const unsigned char low = lead == 0xF0 ? 0x90 : 0x80;   // no overlong forms
    const unsigned char high = lead == 0xF4 ? 0x8F : 0xBF;  // nothing past U+10FFFF
    return in_range(byte(1), low, high) && in_range(byte(2), 0x80, 0xBF) &&
                   in_range(byte(3), 0x80, 0xBF)
               ? 4
               : 0;
  }
  return 0;
}

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

std::string to_valid_utf8(std::string_view text) {
  std::string valid;
  valid.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t length = sequence_length(text, at);
    if (length == 0) {
      valid += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++at;
    } else {
      valid.append(text.substr(at, length));
      at += length;
    }
  }
  return valid;
}

std::size_t count_code_points(std::string_view valid_utf8) {
  std::size_t count = 0;
  for (char c : valid_utf8) count += is_continuation(c) ? 0 : 1;
  return count;
}

std::string truncate_code_points(std::string_view valid_utf8, std::size_t max_code_points) {
  if (count_code_points(valid_utf8) <= max_code_points) return std::string(valid_utf8);
  if (max_code_points == 0) return "";
  // Keep max_code_points - 1 code points, then the ellipsis.
  std::size_t kept = 0;
  std::size_t end = 0;
  for (; end < valid_utf8.size(); ++end) {
    if (!is_continuation(valid_utf8[end])) {
      if (kept == max_code_points - 1) break;
      ++kept;
    }
  }
  return std::string(valid_utf8.substr(0, end)) + "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS
}

}  // namespace tg
