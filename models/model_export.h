// A trained model's files in a run folder, for every way of using it:
//   model.tgm          the model file (models/model_file.h): tg::load_model, tools/predict
//   params/<name>.npy  every parameter and buffer (batch norm's running statistics)
//   params/mean_image.npy  the input's mean image (when there is one)
//   params/model.json  the model, its configuration, the input preprocessing
//                      and the layers of the forward pass in order, each with
//                      the .npy files it uses: what tools/npy_predict.py runs
//                      in NumPy alone.
//
// model.json, format version 2:
//   {"format": "tapegrad-params", "version": 2, "model": "ThreeLayerConvNet",
//    "dtype": "float32", "config": {...the root's config()...},
//    "tree": {...the module tree, models/module_json.h...},
//    "input": {"data_set": "fashion-mnist", "shape": [1, 28, 28],
//              "mean_image": "mean_image.npy", "scale": 0.00392156862745098},
//    "parameters": ["conv1.weight", ...], "buffers": ["bn1.running_mean", ...],
//    "layers": [{"op": "conv2d", "w": "conv1.weight.npy", "b": "conv1.bias.npy",
//                "stride": 1, "pad": 3}, {"op": "relu"}, ...]}
// "layers" is Module::layer_specs() (see nn/layer_spec.h for each op): the
// roles map to .npy files, the settings to numbers, a residual's "body" and
// "shortcut" to lists of layers. A model that cannot describe itself as
// layers (a language model) gets "layers": null and "not_exportable": why.
// An image x (pixel values 0..255) enters as (x - mean_image) * scale,
// computed in float32; "shape" and "mean_image" are null when the model was
// saved without a mean image.
#pragma once

#include <string>

#include "models/input_spec.h"
#include "nn/module.h"

namespace tg {

inline constexpr const char* kParamsFolder = "params";
inline constexpr const char* kModelJsonFile = "model.json";

// The text of params/model.json.
std::string model_json(const Module& model, const InputSpec& input);

// Writes model.tgm and params/ (created if needed) into `folder`, each file
// atomically. Throws FileError naming a file that cannot be written.
void write_model_files(const std::string& folder, const Module& model, const InputSpec& input);

}  // namespace tg
