#include "models/model_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "graph/checks.h"
#include "io/atomic_file.h"
#include "io/checkpoint.h"
#include "io/file_error.h"
#include "models/model_types.h"
#include "models/module_json.h"

namespace tg {
namespace {

constexpr std::string_view kParamPrefix = "param/";
constexpr std::string_view kBufferPrefix = "buffer/";
// Building a model may allocate temporaries besides the tensors it keeps.
constexpr std::uint64_t kBuildSlackBytes = std::uint64_t{1} << 20;

std::string suffix(const std::string& name, std::string_view prefix) {
  return name.substr(prefix.size());
}

void check_input(const InputSpec& input) {
  const Tensor& mean = input.mean_image;
  if (mean.defined() && (mean.dtype() != DType::f32 || mean.rank() != 3 || mean.numel() == 0)) {
    fail("save_model", "the mean image must be float32 (C, H, W), got {} {}", name_of(mean.dtype()),
         mean.shape().str());
  }
  if (!std::isfinite(input.scale) || input.scale == 0) {
    fail("save_model", "the input scale must be finite and non-zero, got {}", input.scale);
  }
}

Checkpoint model_checkpoint(const Module& model, const InputSpec& input) {
  check_input(input);
  Checkpoint file;
  file.put_string("model/type", model.type());
  file.put_string("model/tree", module_spec_json(spec_of(model)));
  file.put_real("model/reg", model.reg());
  for (const Parameter& p : model.parameters()) {
    file.put(std::string(kParamPrefix) + p.name(), p.value());
  }
  for (const NamedTensor& b : model.buffers()) {
    file.put(std::string(kBufferPrefix) + b.name, *b.tensor);
  }
  file.put_string("input/data_set", input.data_set);
  if (input.mean_image.defined()) file.put("input/mean_image", input.mean_image);
  file.put_real("input/scale", input.scale);
  return file;
}

// The bytes of the tensors a consistent file holds: every one the model allocates.
std::uint64_t stored_bytes(const Checkpoint& file) {
  std::uint64_t stored = 0;
  for (std::string_view prefix : {kParamPrefix, kBufferPrefix}) {
    for (const std::string& name : file.names_with_prefix(prefix)) {
      stored += file.tensor(name).bytes();
    }
  }
  return stored;
}

InputSpec input_of(const Checkpoint& file) {
  InputSpec input;
  input.data_set = file.get_string("input/data_set");
  input.scale = file.get_real("input/scale");
  if (!std::isfinite(input.scale) || input.scale == 0) {
    fail_file(file.source(), "the input scale must be finite and non-zero, got {}", input.scale);
  }
  if (file.has("input/mean_image")) {
    const Tensor& mean = file.tensor("input/mean_image");
    if (mean.dtype() != DType::f32 || mean.rank() != 3 || mean.numel() == 0) {
      fail_file(file.source(), "the mean image must be float32 (C, H, W), got {} {}",
                name_of(mean.dtype()), mean.shape().str());
    }
    input.mean_image = mean;
  }
  return input;
}

// "float32 (2,3)"
std::string describe(const Tensor& t) {
  return fmt::format("{} {}", name_of(t.dtype()), t.shape().str());
}

// Every tensor of the model (parameters, then buffers) with the file's
// tensor of the same name, after checking that the names, dtypes and shapes
// agree both ways; the error lists every difference.
std::vector<std::pair<Tensor*, const Tensor*>> matching_tensors(const Checkpoint& file,
                                                                const Module& model) {
  std::vector<std::pair<Tensor*, const Tensor*>> copies;
  std::vector<std::string> missing, extra, differing;
  std::vector<std::string> known;
  const auto match = [&](std::string_view prefix, const std::string& name, Tensor* in_model) {
    const std::string entry = std::string(prefix) + name;
    known.push_back(entry);
    if (!file.has(entry)) {
      missing.push_back(name);
      return;
    }
    const Tensor& stored = file.tensor(entry);
    if (stored.dtype() != in_model->dtype() || stored.shape() != in_model->shape()) {
      differing.push_back(fmt::format("{} ({} in the file, {} in the model)", name,
                                      describe(stored), describe(*in_model)));
      return;
    }
    copies.emplace_back(in_model, &stored);
  };
  for (const Parameter& p : model.parameters()) match(kParamPrefix, p.name(), &p.value());
  for (const NamedTensor& b : model.buffers()) match(kBufferPrefix, b.name, b.tensor);
  for (std::string_view prefix : {kParamPrefix, kBufferPrefix}) {
    for (const std::string& entry : file.names_with_prefix(prefix)) {
      if (std::find(known.begin(), known.end(), entry) == known.end())
        extra.push_back(suffix(entry, prefix));
    }
  }
  if (!missing.empty() || !extra.empty() || !differing.empty()) {
    std::vector<std::string> problems;
    if (!missing.empty())
      problems.push_back(fmt::format("missing from the file: {}", fmt::join(missing, ", ")));
    if (!extra.empty())
      problems.push_back(fmt::format("not in the model: {}", fmt::join(extra, ", ")));
    if (!differing.empty())
      problems.push_back(fmt::format("different: {}", fmt::join(differing, "; ")));
    fail_file(file.source(), "its tensors do not match the {} model: {}", model.type(),
              fmt::join(problems, "; "));
  }
  return copies;
}

InputSpec read_into(Module& model, const Checkpoint& file) {
  const std::string& type = file.get_string("model/type");
  if (type != model.type()) {
    fail_file(file.source(), "a model file of {}, not of {}", type, model.type());
  }
  // All checks first, so that a bad file leaves the model as it was.
  const std::vector<std::pair<Tensor*, const Tensor*>> copies = matching_tensors(file, model);
  InputSpec input = input_of(file);
  for (const auto& [to, from] : copies) to->copy_(*from);
  return input;
}

}  // namespace

std::string model_file_bytes(const Module& model, const InputSpec& input) {
  return model_checkpoint(model, input).serialize(kModelFileKind);
}

void save_model(const Module& model, const std::string& path, const InputSpec& input) {
  write_file_atomically(path, model_file_bytes(model, input));
}

LoadedModel parse_model(std::string_view source, std::string_view bytes) {
  const Checkpoint file = Checkpoint::parse(source, bytes, kModelFileKind);
  register_shipped_model_types();
  LoadedModel loaded;
  try {
    const ModuleSpec spec = module_spec_of_json(file.get_string("model/tree"));
    if (spec.type != file.get_string("model/type")) {
      fail("model tree", "its root is a {}, model/type says {}", spec.type,
           file.get_string("model/type"));
    }
    // A damaged configuration (a width of 10^12) fails here, not in malloc.
    AllocationBudget budget(spec.type, 2 * stored_bytes(file) + kBuildSlackBytes);
    loaded.model = build_module(spec);
    loaded.model->set_reg(file.get_real("model/reg"));
  } catch (const ArgumentError& e) {
    fail_file(source, "{}", e.what());
  }
  loaded.input = read_into(*loaded.model, file);
  loaded.model->eval();
  return loaded;
}

LoadedModel load_model(const std::string& path) { return parse_model(path, read_file(path)); }

InputSpec parse_model_into(Module& model, std::string_view source, std::string_view bytes) {
  return read_into(model, Checkpoint::parse(source, bytes, kModelFileKind));
}

InputSpec load_model_into(Module& model, const std::string& path) {
  return parse_model_into(model, path, read_file(path));
}

}  // namespace tg
