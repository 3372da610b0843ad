#include "report/json_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "graph/errors.h"
#include "report/json_check.h"
#include "report/utf8.h"

namespace tg {

std::string json_string(std::string_view text) {
  const std::string valid = to_valid_utf8(text);
  std::string out;
  out.reserve(valid.size() + 2);
  out += '"';
  for (char c : valid) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string json_number(double value) {
  // fmt's "{}" is the shortest round-trip form, always valid JSON for finite
  // values ("0.1", "1e-05", "-0", "1e+300").
  return std::isfinite(value) ? fmt::format("{}", value) : "null";
}

std::string json_number(std::int64_t value) { return fmt::format("{}", value); }

JsonObject& JsonObject::set_null(std::string_view key) {
  return set_rendered_unchecked(key, "null");
}

JsonObject& JsonObject::set_rendered(std::string_view key, std::string_view json) {
  if (const auto error = find_json_error(json)) {
    throw ArgumentError(
        fmt::format("JsonObject::set_rendered: the value of \"{}\" is not valid "
                    "JSON (error at byte {} of {})",
                    key, *error, json.size()));
  }
  return set_rendered_unchecked(key, std::string(json));
}

bool JsonObject::has(std::string_view key) const {
  return std::any_of(fields_.begin(), fields_.end(),
                     [&](const auto& field) { return field.first == key; });
}

std::string JsonObject::str() const {
  std::string out = "{";
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    if (i > 0) out += ", ";
    out += json_string(fields_[i].first);
    out += ": ";
    out += fields_[i].second;
  }
  return out + "}";
}

JsonObject& JsonObject::set_rendered_unchecked(std::string_view key, std::string json) {
  for (auto& field : fields_) {
    if (field.first == key) {
      field.second = std::move(json);
      return *this;
    }
  }
  fields_.emplace_back(std::string(key), std::move(json));
  return *this;
}

}  // namespace tg
