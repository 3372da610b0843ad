// Model files (.tgm): a trained model for inference, loaded without the
// Solver, the data set or any flags.
//
//   model.save("model.tgm", input);                     // any Module
//   tg::LoadedModel m = tg::load_model("model.tgm");    // builds the model
//   tg::Tensor scores = m.model->scores(x);             // x prepared as m.input says
//
// The file is the checkpoint's container (io/checkpoint.h) with the magic
// "TGMODEL1" and format version 1: written atomically; its size, magic,
// version and CRC-32 are checked before anything is parsed. Its entries:
//   model/name        string  Module::name(), e.g. "ThreeLayerConvNet"
//   config/<key>      Module::config(): an integer (also booleans, 0 or 1), a
//                     real, a string, or a float64 vector (a list of integers)
//   param/<name>      tensor  every parameter (Module::parameters())
//   buffer/<name>     tensor  every buffer (batch norm's running statistics)
//   input/data_set    string  InputSpec::data_set (may be empty)
//   input/mean_image  tensor  InputSpec::mean_image (C, H, W); absent if undefined
//   input/scale       real    InputSpec::scale
//
// load_model builds the model with the factory registered under its name:
// FullyConnectedNet, ThreeLayerConvNet, SequenceClassifier and CharRNN are
// registered from the start, a model of one's own with register_model (or
// build it and call its load()).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models/input_spec.h"
#include "models/model_config.h"
#include "models/module.h"

namespace tg {

// The model file's name in a run folder.
inline constexpr const char* kModelFile = "model.tgm";

struct LoadedModel {
  std::unique_ptr<Module> model;  // in evaluation mode
  InputSpec input;
};

// The bytes of the model file, and writing them atomically (Module::save).
// Throws ArgumentError ("save_model: ...") for an InputSpec whose mean image
// is not float32 (C, H, W) or whose scale is not finite and non-zero.
std::string model_file_bytes(const Module& model, const InputSpec& input = {});
void save_model(const Module& model, const std::string& path, const InputSpec& input = {});

// Reads a model file and builds its model. Throws FileError naming the file
// and the problem: missing, truncated, corrupt (CRC-32), another format
// version, a checkpoint instead of a model file, a model this program does
// not know, a configuration it cannot build, parameters that do not match it.
LoadedModel load_model(const std::string& path);
// The same for the bytes of a model file (`source` names them in errors).
LoadedModel parse_model(std::string_view source, std::string_view bytes);

// Module::load: the parameters, buffers and InputSpec of a model file of
// `model`'s architecture, copied into it only when all of them match.
InputSpec load_model_into(Module& model, const std::string& path);
InputSpec parse_model_into(Module& model, std::string_view source, std::string_view bytes);

// Builds a model from its configuration; throws ArgumentError when the
// configuration does not make one (a value missing or out of range).
using ModelFactory = std::function<std::unique_ptr<Module>(const ModelConfig& config)>;

// The factories are process-wide (one registry, guarded by a mutex).
// Registering a name again replaces its factory.
void register_model(const std::string& name, ModelFactory factory);
// The registered names, sorted.
std::vector<std::string> registered_models();

}  // namespace tg
