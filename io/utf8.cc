#include "io/utf8.h"

#include <fmt/format.h>

#include "graph/errors.h"

namespace tg {
namespace {

[[noreturn]] void fail_at(std::size_t offset, std::string_view why) {
  throw ArgumentError(fmt::format("utf8: {} at byte offset {}", why, offset));
}

bool is_surrogate(char32_t c) { return c >= 0xD800 && c <= 0xDFFF; }

}  // namespace

std::u32string decode_utf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    // The sequence length and the payload bits of the lead byte.
    int length = 0;
    char32_t c = 0;
    if (lead < 0x80) {
      length = 1, c = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2, c = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, c = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, c = lead & 0x07;
    } else {
      fail_at(i, fmt::format("invalid lead byte 0x{:02x}", lead));
    }
    if (i + length > text.size()) fail_at(i, "truncated sequence");
    for (int k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80)
        fail_at(i + k, fmt::format("invalid continuation byte 0x{:02x}", next));
      c = (c << 6) | (next & 0x3F);
    }
    static constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < kSmallest[length]) fail_at(i, "overlong encoding");
    if (c > 0x10FFFF || is_surrogate(c))
      fail_at(i, fmt::format("invalid code point U+{:X}", static_cast<std::uint32_t>(c)));
    out.push_back(c);
    i += length;
  }
  return out;
}

std::string encode_utf8(std::u32string_view code_points) {
  std::string out;
  for (const char32_t c : code_points) {
    if (c > 0x10FFFF || is_surrogate(c)) {
      throw ArgumentError(fmt::format("utf8: cannot encode U+{:X}", static_cast<std::uint32_t>(c)));
    }
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

}  // namespace tg
