#include "models/module_json.h"

#include <cmath>

#include "graph/checks.h"

namespace tg {
namespace {

using Json = nlohmann::ordered_json;

Json config_json(const ModelConfig& config) {
  Json out = Json::object();
  for (const auto& [key, value] : config.values()) {
    std::visit([&, key = key](const auto& v) { out[key] = v; }, value);
  }
  return out;
}

ModelConfig config_of(const Json& json, const std::string& path) {
  if (!json.is_object()) fail("model tree", "{}: must be an object", path);
  ModelConfig config;
  for (const auto& [key, value] : json.items()) {
    const std::string where = path + "." + key;
    if (value.is_number_integer()) {
      config.set_int(key, value.get<std::int64_t>());
    } else if (value.is_number_float()) {
      config.set_real(key, value.get<double>());
    } else if (value.is_string()) {
      config.set_string(key, value.get<std::string>());
    } else if (value.is_array()) {
      std::vector<std::int64_t> ints;
      for (const Json& v : value) {
        if (!v.is_number_integer()) fail("model tree", "{}: must be a list of integers", where);
        ints.push_back(v.get<std::int64_t>());
      }
      config.set_ints(key, ints);
    } else {
      fail("model tree", "{}: must be an integer, a real, a string or a list of integers", where);
    }
  }
  return config;
}

ModuleSpec spec_of_json(const Json& json, const std::string& path) {
  if (!json.is_object()) fail("model tree", "{}: must be an object", path);
  const auto field = [&](const char* name) -> const Json& {
    if (!json.contains(name)) fail("model tree", "{}: has no \"{}\"", path, name);
    return json.at(name);
  };
  const Json& type = field("type");
  if (!type.is_string() || type.get<std::string>().empty()) {
    fail("model tree", "{}.type: must be a non-empty string", path);
  }
  ModuleSpec spec{type.get<std::string>(), config_of(field("config"), path + ".config"), {}};
  const Json& children = field("children");
  if (!children.is_array()) fail("model tree", "{}.children: must be a list", path);
  for (std::size_t i = 0; i < children.size(); ++i) {
    const std::string where = path + ".children[" + std::to_string(i) + "]";
    const Json& child = children[i];
    if (!child.is_object() || !child.contains("name") || !child.at("name").is_string()) {
      fail("model tree", "{}: must be an object with a \"name\" string", where);
    }
    spec.children.emplace_back(child.at("name").get<std::string>(), spec_of_json(child, where));
  }
  return spec;
}

}  // namespace

Json module_spec_to_json(const ModuleSpec& spec) {
  Json children = Json::array();
  for (const auto& [name, child] : spec.children) {
    Json entry = {{"name", name}};
    const Json fields = module_spec_to_json(child);
    for (const auto& [key, value] : fields.items()) entry[key] = value;
    children.push_back(std::move(entry));
  }
  return {{"type", spec.type}, {"config", config_json(spec.config)}, {"children", children}};
}

std::string module_spec_json(const ModuleSpec& spec) {
  return module_spec_to_json(spec).dump(-1, ' ', false, Json::error_handler_t::replace);
}

ModuleSpec module_spec_of_json(std::string_view json) {
  const Json parsed = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) fail("model tree", "is not valid JSON");
  return spec_of_json(parsed, "tree");
}

}  // namespace tg
