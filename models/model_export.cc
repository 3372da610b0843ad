#include "models/model_export.h"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "graph/errors.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "models/model_file.h"
#include "models/module_json.h"

namespace tg {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kMeanImageName = "mean_image";

std::string npy_name(const std::string& name) { return name + ".npy"; }

// Whole numbers as integers ("stride": 1), the rest as reals.
Json number(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::abs(value) < 9.0e15) {
    return static_cast<std::int64_t>(value);
  }
  return value;
}

Json layers_json(const std::vector<LayerSpec>& layers) {
  Json out = Json::array();
  for (const LayerSpec& layer : layers) {
    Json entry = {{"op", layer.op}};
    for (const auto& [role, name] : layer.tensors) entry[role] = npy_name(name);
    for (const auto& [setting, value] : layer.settings) entry[setting] = number(value);
    if (layer.op == "residual") {
      entry["body"] = layers_json(layer.body);
      entry["shortcut"] = layers_json(layer.shortcut);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

std::string model_json(const Module& model, const InputSpec& input) {
  Json parameters = Json::array(), buffers = Json::array();
  for (const Parameter& p : model.parameters()) parameters.push_back(p.name());
  for (const NamedTensor& b : model.buffers()) buffers.push_back(b.name);
  const bool has_mean = input.mean_image.defined();
  const Json shape = has_mean ? Json(input.mean_image.shape().to_vector()) : Json(nullptr);
  const ModuleSpec spec = spec_of(model);
  const Json tree = module_spec_to_json(spec);
  Json layers, not_exportable;
  try {
    layers = layers_json(model.layer_specs());
  } catch (const ArgumentError& e) {
    not_exportable = e.what();
  }
  Json doc = {
      {"format", "tapegrad-params"},
      {"version", 2},
      {"model", model.type()},
      {"dtype", std::string(name_of(model.dtype()))},
      {"config", tree.at("config")},
      {"tree", tree},
      {"input",
       {{"data_set", input.data_set},
        {"shape", shape},
        {"mean_image", has_mean ? Json(npy_name(kMeanImageName)) : Json(nullptr)},
        {"scale", input.scale}}},
      {"parameters", parameters},
      {"buffers", buffers},
      {"layers", layers},
  };
  if (!not_exportable.is_null()) doc["not_exportable"] = not_exportable;
  return doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

void write_model_files(const std::string& folder, const Module& model, const InputSpec& input) {
  const std::filesystem::path root(folder);
  const std::filesystem::path params = root / kParamsFolder;
  create_folders(params.string());
  save_model(model, (root / kModelFile).string(), input);
  for (const Parameter& p : model.parameters()) {
    save_npy((params / npy_name(p.name())).string(), p.value());
  }
  for (const NamedTensor& b : model.buffers()) {
    save_npy((params / npy_name(b.name)).string(), *b.tensor);
  }
  if (input.mean_image.defined()) {
    save_npy((params / npy_name(kMeanImageName)).string(), input.mean_image);
  }
  write_file_atomically((params / kModelJsonFile).string(), model_json(model, input));
}

}  // namespace tg
