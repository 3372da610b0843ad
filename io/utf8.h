// UTF-8 text to Unicode code points and back (the word list of
// tools/train --model charlm is UTF-8: "Ångström", "élan").
#pragma once

#include <string>
#include <string_view>

namespace tg {

// The code points of UTF-8 text. Throws ArgumentError ("utf8: ...") naming the
// byte offset of an invalid or truncated sequence, an overlong encoding or a
// surrogate.
std::u32string decode_utf8(std::string_view text);

// The UTF-8 bytes of code points. Throws ArgumentError for a value above
// U+10FFFF or a surrogate.
std::string encode_utf8(std::u32string_view code_points);

}  // namespace tg
