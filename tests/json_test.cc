// The JSON writer, the JSON checker and the UTF-8 helpers behind them.
#include <doctest/doctest.h>

#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "graph/errors.h"
#include "report/json_check.h"
#include "report/json_writer.h"
#include "report/utf8.h"

using namespace tg;

TEST_CASE("to_valid_utf8 keeps valid text and replaces each bad byte with U+FFFD") {
  const std::string valid = "plain, \xC3\xA9t\xC3\xA9, \xE2\x82\xAC, \xF0\x9F\x98\x80";
  CHECK(to_valid_utf8(valid) == valid);
  const std::string replacement = "\xEF\xBF\xBD";
  CHECK(to_valid_utf8("a\xFFz") == "a" + replacement + "z");
  CHECK(to_valid_utf8("\xC3") == replacement);                                      // truncated
  CHECK(to_valid_utf8("\xC0\xAF") == replacement + replacement);                    // overlong
  CHECK(to_valid_utf8("\xED\xA0\x80") == replacement + replacement + replacement);  // surrogate
  CHECK(to_valid_utf8("\xF4\x90\x80\x80").find('\xF4') == std::string::npos);       // > U+10FFFF
}

TEST_CASE("count_code_points and truncate_code_points work on code points, not bytes") {
  CHECK(count_code_points("\xC3\xA9t\xC3\xA9") == 3);
  CHECK(truncate_code_points("abcdef", 10) == "abcdef");
  CHECK(truncate_code_points("abcdef", 4) == "abc\xE2\x80\xA6");
  CHECK(truncate_code_points("\xC3\xA9\xC3\xA9\xC3\xA9", 2) == "\xC3\xA9\xE2\x80\xA6");
  CHECK(truncate_code_points("abc", 0).empty());
}

TEST_CASE("json_string escapes quotes, backslashes and control characters") {
  CHECK(json_string("plain") == "\"plain\"");
  CHECK(json_string("say \"hi\"") == R"("say \"hi\"")");
  CHECK(json_string("C:\\runs") == R"("C:\\runs")");
  CHECK(json_string("a\nb\tc\rd") == R"("a\nb\tc\rd")");
  CHECK(json_string(std::string("nul\0one\x01", 8)) == R"("nul\u0000one\u0001")");
  CHECK(json_string("caf\xC3\xA9") == "\"caf\xC3\xA9\"");
  CHECK(json_string("bad\xFF") == "\"bad\xEF\xBF\xBD\"");
  CHECK(is_valid_json(json_string("</script> \b\f \x7F")));
}

TEST_CASE("json_number round-trips doubles and writes null for NaN and infinities") {
  CHECK(json_number(0.1) == "0.1");
  CHECK(json_number(1.0) == "1");
  CHECK(json_number(-0.0) == "-0");
  CHECK(json_number(1e-5) == "1e-05");
  CHECK(json_number(std::numeric_limits<double>::quiet_NaN()) == "null");
  CHECK(json_number(std::numeric_limits<double>::infinity()) == "null");
  CHECK(json_number(-std::numeric_limits<double>::infinity()) == "null");
  CHECK(json_number(std::int64_t{-9007199254740993}) == "-9007199254740993");
  for (double value : {1.0 / 3, 2.302585092994046, 1e-300, 5e-324, 1.7976931348623157e308,
                       123456789.125, -4.5e15}) {
    const std::string text = json_number(value);
    CAPTURE(text);
    CHECK(is_valid_json(text));
    CHECK(std::strtod(text.c_str(), nullptr) == value);
  }
}

TEST_CASE("JsonObject keeps the order of fields and replaces a key in place") {
  JsonObject nested;
  nested.set("kind", "cifar10").set("augment", false);
  JsonObject config;
  config.set("update_rule", "adam")
      .set("learning_rate", 1e-3)
      .set("batch_size", 100)
      .set("num_epochs", std::int64_t{10})
      .set("hidden_dims", std::vector<int>{100, 50})
      .set("names", std::vector<std::string>{"a", "b\"c"})
      .set("data", nested)
      .set_null("seed")
      .set("use_bn", true)
      .set("learning_rate", 5e-4);
  CHECK(config.str() ==
        R"({"update_rule": "adam", "learning_rate": 0.0005, "batch_size": 100, "num_epochs": 10, )"
        R"("hidden_dims": [100, 50], "names": ["a", "b\"c"], )"
        R"("data": {"kind": "cifar10", "augment": false}, "seed": null, "use_bn": true})");
  CHECK(is_valid_json(config.str()));
  CHECK(config.has("seed"));
  CHECK_FALSE(config.has("momentum"));
  CHECK(JsonObject().str() == "{}");
  CHECK(JsonObject().set("nan", std::numeric_limits<float>::quiet_NaN()).str() ==
        R"({"nan": null})");
}

TEST_CASE("JsonObject::set_rendered takes valid JSON only") {
  JsonObject object;
  object.set_rendered("schedule", R"({"step": [5, 8], "gamma": 0.1})");
  CHECK(object.str() == R"({"schedule": {"step": [5, 8], "gamma": 0.1}})");
  try {
    object.set_rendered("broken", "{\"a\": }");
    FAIL("no ArgumentError");
  } catch (const ArgumentError& error) {
    const std::string message = error.what();
    CHECK(message.rfind("JsonObject::set_rendered", 0) == 0);
    CHECK(message.find("\"broken\"") != std::string::npos);
  }
  CHECK_FALSE(object.has("broken"));
}

TEST_CASE("find_json_error accepts JSON and points at the first error") {
  for (const char* valid :
       {"0", "-0.5e+10", "1E3", "\"\"", "\"\\u00e9\\n\"", "true", "null", "[]", "{}",
        " [1, 2.5, \"x\", {\"a\": [null, false]}] ", "{\"a\":{\"b\":{\"c\":[[[]]]}}}"}) {
    const std::string shown = valid;
    CAPTURE(shown);
    CHECK_FALSE(find_json_error(valid).has_value());
  }
  const std::vector<std::pair<const char*, std::size_t>> invalid = {
      {"", 0},      {"nan", 0},    {"NaN", 0},         {"inf", 0},
      {"-inf", 1},  {"01", 1},     {"1.", 2},          {".5", 0},
      {"+1", 0},    {"[1,]", 3},   {"{\"a\" 1}", 5},   {"{a: 1}", 1},
      {"[1 2]", 3}, {"\"open", 5}, {"\"\\x\"", 2},     {"\"tab\there\"", 4},
      {"[] []", 3}, {"tru", 0},    {"{\"a\": 1,}", 8}, {"\"\\u12g4\"", 5}};
  for (const auto& [text, offset] : invalid) {
    const std::string shown = text;
    CAPTURE(shown);
    REQUIRE(find_json_error(text).has_value());
    CHECK(*find_json_error(text) == offset);
  }
  CHECK(find_json_error(std::string(600, '[') + std::string(600, ']')).has_value());
  CHECK_FALSE(find_json_error(std::string(400, '[') + std::string(400, ']')).has_value());
}
