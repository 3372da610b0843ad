// Model files (.tgm): a trained model for inference, loaded without the
// Solver, the data set or any flags.
//
//   tg::save_model(model, "model.tgm", input);          // any module tree
//   tg::LoadedModel m = tg::load_model("model.tgm");    // builds the tree
//   tg::Tensor scores = m.model->scores(x);             // x prepared as m.input says
//
// The file is the checkpoint's container (io/checkpoint.h) with the magic
// "TGMODEL1" and format version 2: written atomically; its size, magic,
// version and CRC-32 are checked before anything is parsed. Its entries:
//   model/type        string  the root's Module::type(), e.g. "ThreeLayerConvNet"
//   model/tree        string  the module tree as JSON (nn/module_types.h's
//                     ModuleSpec): {"type", "config": {key: integer, real,
//                     string or list of integers}, "children": [{"name", ...}]}
//   model/reg         real    the root's reg()
//   param/<name>      tensor  every parameter, by dotted name (conv1.weight)
//   buffer/<name>     tensor  every buffer (bn1.running_mean)
//   input/data_set    string  InputSpec::data_set (may be empty)
//   input/mean_image  tensor  InputSpec::mean_image (C, H, W); absent if undefined
//   input/scale       real    InputSpec::scale
// Version 1 files (tapegrad before the module tree) are refused with a
// message that names their version.
//
// load_model rebuilds the tree with the factories registered for its types
// (the nn/ layers and containers, and the shipped models: a composition of
// them needs no code; a module class of one's own, register_module_type),
// under an allocation budget of twice the file's tensors, then copies the
// tensors in.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "models/input_spec.h"
#include "nn/module.h"
#include "nn/module_types.h"

namespace tg {

// The model file's name in a run folder.
inline constexpr const char* kModelFile = "model.tgm";

struct LoadedModel {
  std::shared_ptr<Module> model;  // in evaluation mode
  InputSpec input;
};

// The bytes of the model file, and writing them atomically. Throws
// ArgumentError ("save_model: ...") for an InputSpec whose mean image is not
// float32 (C, H, W) or whose scale is not finite and non-zero.
std::string model_file_bytes(const Module& model, const InputSpec& input = {});
void save_model(const Module& model, const std::string& path, const InputSpec& input = {});

// Reads a model file and builds its model. Throws FileError naming the file
// and the problem: missing, truncated, corrupt (CRC-32), another format
// version, a checkpoint instead of a model file, a type this program does
// not know, a configuration it cannot build, tensors that do not match it.
LoadedModel load_model(const std::string& path);
// The same for the bytes of a model file (`source` names them in errors).
LoadedModel parse_model(std::string_view source, std::string_view bytes);

// The parameters, buffers and InputSpec of a model file copied into `model`
// (built by the caller) when its type and every name, dtype and shape match;
// otherwise FileError listing the missing, extra and differing names, and
// the model is unchanged.
InputSpec load_model_into(Module& model, const std::string& path);
InputSpec parse_model_into(Module& model, std::string_view source, std::string_view bytes);

}  // namespace tg
