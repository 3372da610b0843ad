// A module tree's spec (nn/module_types.h) as JSON, the model file's
// model/tree entry and model.json's "tree":
//   {"type": "Sequential", "config": {},
//    "children": [{"name": "conv", "type": "Conv2d",
//                  "config": {"in_channels": 1, "bias": 1, "dtype": "float32", ...},
//                  "children": []}, ...]}
// Config values are integers (booleans as 0 or 1), reals, strings or lists
// of integers.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "nn/module_types.h"

namespace tg {

nlohmann::ordered_json module_spec_to_json(const ModuleSpec& spec);
std::string module_spec_json(const ModuleSpec& spec);
// Throws ArgumentError naming the path of a malformed entry
// ("tree.children[2].config.stride: ...").
ModuleSpec module_spec_of_json(std::string_view json);

}  // namespace tg
