// A trained model's files in a run folder, for every way of using it:
//   model.tgm          the model file (models/model_file.h): tg::load_model, tools/predict
//   params/<name>.npy  every parameter and buffer (batch norm's running statistics)
//   params/mean_image.npy  the input's mean image (when there is one)
//   params/model.json  the model, its configuration, the input preprocessing
//                      and the layers of the forward pass in order, each with
//                      the .npy files it uses: what tools/npy_predict.py runs
//                      in NumPy alone.
//
// model.json, format version 1:
//   {"format": "tapegrad-params", "version": 1, "model": "ThreeLayerConvNet",
//    "dtype": "float32", "config": {...Module::config()...},
//    "input": {"data_set": "fashion-mnist", "shape": [1, 28, 28],
//              "mean_image": "mean_image.npy", "scale": 0.00392156862745098},
//    "parameters": ["W1", ...], "buffers": ["bn1.running_mean", ...],
//    "layers": [{"op": "conv2d", "w": "W1.npy", "b": "b1.npy", "stride": 1, "pad": 3},
//               {"op": "relu"}, ...]}
// "layers" is Module::layers() (see layer_spec.h for each op): the roles map
// to .npy files, the settings to numbers. An image x (pixel values 0..255)
// enters as (x - mean_image) * scale, computed in float32; "shape" and
// "mean_image" are null when the model was saved without a mean image.
#pragma once

#include <string>

#include "models/input_spec.h"
#include "models/module.h"

namespace tg {

inline constexpr const char* kParamsFolder = "params";
inline constexpr const char* kModelJsonFile = "model.json";

// The text of params/model.json.
std::string model_json(const Module& model, const InputSpec& input);

// Writes model.tgm and params/ (created if needed) into `folder`, each file
// atomically. Throws FileError naming a file that cannot be written.
void write_model_files(const std::string& folder, const Module& model, const InputSpec& input);

}  // namespace tg
