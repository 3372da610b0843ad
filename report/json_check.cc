#include "report/json_check.h"

namespace tg {
namespace {

// A recursive-descent recogniser: each method consumes one element of the
// grammar and returns false at the first error, leaving `at` on it.
class JsonRecogniser {
 public:
  explicit JsonRecogniser(std::string_view text) : text_(text) {}

  std::optional<std::size_t> first_error() {
    skip_space();
    if (!value(0)) return at_;
    skip_space();
    if (at_ != text_.size()) return at_;
    return std::nullopt;
  }

 private:
  static constexpr int kMaxDepth = 512;

  bool at_end() const { return at_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[at_]; }
  bool is_digit() const { return !at_end() && peek() >= '0' && peek() <= '9'; }

  bool consume(char c) {
    if (at_end() || text_[at_] != c) return false;
    ++at_;
    return true;
  }

  bool consume_word(std::string_view word) {
    if (text_.substr(at_, word.size()) != word) return false;
    at_ += word.size();
    return true;
  }

  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
      ++at_;
    }
  }

  void skip_digits() {
    while (is_digit()) ++at_;
  }

  bool value(int depth) {
    if (depth > kMaxDepth) return false;
    switch (peek()) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"':
        return string();
      case 't':
        return consume_word("true");
      case 'f':
        return consume_word("false");
      case 'n':
        return consume_word("null");
      default:
        return number();
    }
  }

  bool object(int depth) {
    consume('{');
    skip_space();
    if (consume('}')) return true;
    while (true) {
      skip_space();
      if (peek() != '"' || !string()) return false;
      skip_space();
      if (!consume(':')) return false;
      skip_space();
      if (!value(depth + 1)) return false;
      skip_space();
      if (consume('}')) return true;
      if (!consume(',')) return false;
    }
  }

  bool array(int depth) {
    consume('[');
    skip_space();
    if (consume(']')) return true;
    while (true) {
      skip_space();
      if (!value(depth + 1)) return false;
      skip_space();
      if (consume(']')) return true;
      if (!consume(',')) return false;
    }
  }

  bool string() {
    consume('"');
    while (!at_end()) {
      const char c = text_[at_];
      if (c == '"') {
        ++at_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return false;  // raw control character
      if (c != '\\') {
        ++at_;
        continue;
      }
      ++at_;
      const char escaped = peek();
      if (escaped == 'u') {
        ++at_;
        for (int i = 0; i < 4; ++i, ++at_) {
          const char h = peek();
          const bool hex =
              (h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F');
          if (!hex) return false;
        }
      } else if (escaped != '\0' &&
                 std::string_view("\"\\/bfnrt").find(escaped) != std::string_view::npos) {
        ++at_;
      } else {
        return false;
      }
    }
    return false;  // unterminated
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  bool number() {
    consume('-');
    if (consume('0')) {
      // no further integer digits after a leading zero
    } else if (is_digit()) {
      skip_digits();
    } else {
      return false;
    }
    if (consume('.')) {
      if (!is_digit()) return false;
      skip_digits();
    }
    if (consume('e') || consume('E')) {
      if (!consume('+')) consume('-');
      if (!is_digit()) return false;
      skip_digits();
    }
    return true;
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

}  // namespace

std::optional<std::size_t> find_json_error(std::string_view text) {
  return JsonRecogniser(text).first_error();
}

}  // namespace tg
