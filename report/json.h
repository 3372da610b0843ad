// JSON documents, through nlohmann-json (Debian's nlohmann-json3-dev): run
// configurations, history.json, benchmark records. Include it in .cc files
// and in the few headers that hold a Json by value: the library is heavy to
// compile.
//
//   tg::Json config = {{"update_rule", "adam"}, {"learning_rate", 1e-3}};
//   config["hidden_dims"] = std::vector<int>{100, 100};
//   std::string text = tg::json_text(config);  // {"update_rule":"adam",...}
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace tg {

// A JSON value whose objects keep their fields in the order they were set.
using Json = nlohmann::ordered_json;

// Compact JSON text on one line. Numbers are written in their shortest form
// that reads back to the same double; NaN and infinities (which JSON lacks)
// become null; invalid UTF-8 in a string becomes U+FFFD instead of throwing.
std::string json_text(const Json& value);

}  // namespace tg
