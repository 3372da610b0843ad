#include "models/model_export.h"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
#include "io/npy.h"
#include "models/model_file.h"

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

Json config_json(const ModelConfig& config) {
  Json out = Json::object();
  for (const auto& [key, value] : config.values()) {
    std::visit([&, key = key](const auto& v) { out[key] = v; }, value);
  }
  return out;
}

Json layers_json(const Module& model) {
  Json layers = Json::array();
  for (const LayerSpec& layer : model.layers()) {
    Json entry = {{"op", layer.op}};
    for (const auto& [role, name] : layer.tensors) entry[role] = npy_name(name);
    for (const auto& [setting, value] : layer.settings) entry[setting] = number(value);
    layers.push_back(std::move(entry));
  }
  return layers;
}

}  // namespace

std::string model_json(const Module& model, const InputSpec& input) {
  Json parameters = Json::array(), buffers = Json::array();
  for (const Parameter& p : model.parameters()) parameters.push_back(p.name());
  for (const NamedTensor& b : model.buffers()) buffers.push_back(b.name);
  const bool has_mean = input.mean_image.defined();
  const Json shape = has_mean ? Json(input.mean_image.shape().to_vector()) : Json(nullptr);
  const Json doc = {
      {"format", "tapegrad-params"},
      {"version", 1},
      {"model", model.name()},
      {"dtype", std::string(name_of(model.dtype()))},
      {"config", config_json(model.config())},
      {"input",
       {{"data_set", input.data_set},
        {"shape", shape},
        {"mean_image", has_mean ? Json(npy_name(kMeanImageName)) : Json(nullptr)},
        {"scale", input.scale}}},
      {"parameters", parameters},
      {"buffers", buffers},
      {"layers", layers_json(model)},
  };
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
