// Writing small JSON documents by hand: strings escaped, numbers that read
// back to the same double, and null for NaN and infinities (which JSON lacks).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace tg {

// A quoted JSON string; invalid UTF-8 becomes U+FFFD.
std::string json_string(std::string_view text);
// The shortest text that reads back as the same double; null for NaN and +-inf.
std::string json_number(double value);
std::string json_number(std::int64_t value);

class JsonObject;

// The JSON text of a bool, integer, floating-point number, string, JsonObject,
// or a std::vector of any of these.
template <class T>
std::string to_json(const T& value);

// A JSON object whose fields keep the order in which they were first set.
//   JsonObject config;
//   config.set("update_rule", "adam").set("learning_rate", 1e-3).set("hidden_dims", dims);
class JsonObject {
 public:
  // Sets a field, replacing an earlier value of the same key in place.
  template <class T>
  JsonObject& set(std::string_view key, const T& value) {
    return set_rendered_unchecked(key, to_json(value));
  }
  JsonObject& set_null(std::string_view key);
  // Sets a field to JSON text rendered elsewhere; throws ArgumentError naming
  // the key unless `json` is one valid JSON value.
  JsonObject& set_rendered(std::string_view key, std::string_view json);

  bool empty() const { return fields_.empty(); }
  bool has(std::string_view key) const;
  // Keys and their rendered JSON values, in order.
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

  // Compact, on one line: {"a": 1, "b": "x"}.
  std::string str() const;

 private:
  JsonObject& set_rendered_unchecked(std::string_view key, std::string json);

  std::vector<std::pair<std::string, std::string>> fields_;
};

namespace json_detail {
template <class T>
struct IsVector : std::false_type {};
template <class T, class Allocator>
struct IsVector<std::vector<T, Allocator>> : std::true_type {};
template <class T>
inline constexpr bool kAlwaysFalse = false;
}  // namespace json_detail

template <class T>
std::string to_json(const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value ? "true" : "false";
  } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, char>) {
    return std::to_string(value);
  } else if constexpr (std::is_floating_point_v<T>) {
    return json_number(static_cast<double>(value));
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    return json_string(value);
  } else if constexpr (std::is_same_v<T, JsonObject>) {
    return value.str();
  } else if constexpr (json_detail::IsVector<T>::value) {
    std::string out = "[";
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (i > 0) out += ", ";
      out += to_json(static_cast<const typename T::value_type&>(value[i]));
    }
    return out + "]";
  } else {
    static_assert(json_detail::kAlwaysFalse<T>,
                  "to_json: use a bool, number, string, JsonObject or std::vector of these");
  }
}

}  // namespace tg
