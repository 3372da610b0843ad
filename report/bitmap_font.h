// A tiny built-in bitmap font for labels in images (report/png_image.h): 5x7
// pixel glyphs in the style of the HD44780 character ROM, one pixel between
// characters, no font library. It has the digits, the letters A-Z and a-z,
// the space and . , : ; - + = / ( ) % _ ' ! ? # < > [ ] * (font_characters()).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tg {

inline constexpr std::int64_t kGlyphWidth = 5;
inline constexpr std::int64_t kGlyphHeight = 7;
inline constexpr std::int64_t kGlyphSpacing = 1;  // blank columns between two characters

// Whether pixel (row, col) of character c's glyph is set (row 0 the top,
// col 0 the left). False for a character the font lacks.
bool glyph_pixel(char c, std::int64_t row, std::int64_t col);
bool font_has(char c);
// Every character the font has, in table order.
std::string font_characters();

// The position of the first character of text the font lacks, or -1 when it
// has them all.
std::int64_t first_missing_character(std::string_view text);

// Width in pixels of text drawn in the font: 6 per character less the last
// spacing, 0 for "".
std::int64_t text_width(std::string_view text);

}  // namespace tg
