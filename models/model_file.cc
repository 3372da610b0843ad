#include "models/model_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <utility>

#include "graph/checks.h"
#include "io/atomic_file.h"
#include "io/checkpoint.h"
#include "io/file_error.h"
#include "models/char_rnn.h"
#include "models/fully_connected_net.h"
#include "models/sequence_classifier.h"
#include "models/three_layer_convnet.h"

namespace tg {
namespace {

constexpr std::string_view kConfigPrefix = "config/";
constexpr std::string_view kParamPrefix = "param/";
constexpr std::string_view kBufferPrefix = "buffer/";
// Integers stored in a float64 vector are exact up to 2^53.
constexpr double kMaxExactInteger = 9007199254740992.0;

struct Registry {
  std::mutex mutex;
  std::map<std::string, ModelFactory> factories = {
      {"FullyConnectedNet",
       [](const ModelConfig& c) -> std::unique_ptr<Module> {
         return FullyConnectedNet::from_config(c);
       }},
      {"ThreeLayerConvNet",
       [](const ModelConfig& c) -> std::unique_ptr<Module> {
         return ThreeLayerConvNet::from_config(c);
       }},
      {"SequenceClassifier",
       [](const ModelConfig& c) -> std::unique_ptr<Module> {
         return SequenceClassifier::from_config(c);
       }},
      {"CharRNN",
       [](const ModelConfig& c) -> std::unique_ptr<Module> { return CharRNN::from_config(c); }},
  };
};

Registry& registry() {
  static Registry instance;
  return instance;
}

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
  file.put_string("model/name", model.name());
  const ModelConfig config = model.config();
  for (const auto& [key, value] : config.values()) {
    const std::string name = std::string(kConfigPrefix) + key;
    if (const auto* i = std::get_if<std::int64_t>(&value)) {
      file.put_int(name, *i);
    } else if (const auto* r = std::get_if<double>(&value)) {
      file.put_real(name, *r);
    } else if (const auto* s = std::get_if<std::string>(&value)) {
      file.put_string(name, *s);
    } else {
      const auto& ints = std::get<std::vector<std::int64_t>>(value);
      file.put(name, Tensor::from_values({static_cast<std::int64_t>(ints.size())},
                                         {ints.begin(), ints.end()}, DType::f64));
    }
  }
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

// A float64 vector of integers, as the writer stores a list.
std::vector<std::int64_t> integers_of(const Checkpoint& file, const std::string& name) {
  const Tensor& t = file.tensor(name);
  if (t.dtype() != DType::f64 || t.rank() != 1) {
    fail_file(file.source(), "'{}' must be a float64 vector (a list of integers), got {} {}", name,
              name_of(t.dtype()), t.shape().str());
  }
  std::vector<std::int64_t> values;
  for (double v : t.to_vector()) {
    if (!(std::abs(v) <= kMaxExactInteger) || v != std::floor(v)) {
      fail_file(file.source(), "'{}' must hold integers, got {}", name, v);
    }
    values.push_back(static_cast<std::int64_t>(v));
  }
  return values;
}

ModelConfig config_of(const Checkpoint& file) {
  ModelConfig config;
  for (const std::string& name : file.names_with_prefix(kConfigPrefix)) {
    const std::string key = suffix(name, kConfigPrefix);
    switch (file.kind(name)) {
      case Checkpoint::EntryKind::integer:
        config.set_int(key, file.get_int(name));
        break;
      case Checkpoint::EntryKind::real:
        config.set_real(key, file.get_real(name));
        break;
      case Checkpoint::EntryKind::string:
        config.set_string(key, file.get_string(name));
        break;
      case Checkpoint::EntryKind::tensor:
        config.set_ints(key, integers_of(file, name));
        break;
    }
  }
  // A consistent file holds every tensor the model allocates.
  std::uint64_t stored = 0;
  for (std::string_view prefix : {kParamPrefix, kBufferPrefix}) {
    for (const std::string& name : file.names_with_prefix(prefix))
      stored += file.tensor(name).bytes();
  }
  config.set_byte_limit(stored);
  return config;
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

// The tensor the file holds for one of the model's, checked to match it.
const Tensor& matching(const Checkpoint& file, std::string_view prefix, std::string_view what,
                       const std::string& name, const Tensor& in_model) {
  const std::string entry = std::string(prefix) + name;
  if (!file.has(entry)) fail_file(file.source(), "no {} '{}'", what, name);
  const Tensor& stored = file.tensor(entry);
  if (stored.dtype() != in_model.dtype() || stored.shape() != in_model.shape()) {
    fail_file(file.source(), "{} '{}' is {} in the file, {} in the model", what, name,
              describe(stored), describe(in_model));
  }
  return stored;
}

// Every stored name under `prefix` is one of `names`.
void check_no_extra(const Checkpoint& file, std::string_view prefix, std::string_view what,
                    const std::vector<std::string>& names, const std::string& model) {
  for (const std::string& entry : file.names_with_prefix(prefix)) {
    const std::string name = suffix(entry, prefix);
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      fail_file(file.source(), "{} '{}' is not one of {}'s", what, name, model);
    }
  }
}

InputSpec read_into(Module& model, const Checkpoint& file) {
  const std::string& name = file.get_string("model/name");
  if (name != model.name()) {
    fail_file(file.source(), "a model file of {}, not of {}", name, model.name());
  }
  // All checks first, so that a bad file leaves the model as it was.
  std::vector<std::pair<Tensor*, const Tensor*>> copies;
  std::vector<std::string> names;
  for (const Parameter& p : model.parameters()) {
    copies.emplace_back(&p.value(),
                        &matching(file, kParamPrefix, "parameter", p.name(), p.value()));
    names.push_back(p.name());
  }
  check_no_extra(file, kParamPrefix, "parameter", names, name);
  names.clear();
  for (const NamedTensor& b : model.buffers()) {
    copies.emplace_back(b.tensor, &matching(file, kBufferPrefix, "buffer", b.name, *b.tensor));
    names.push_back(b.name);
  }
  check_no_extra(file, kBufferPrefix, "buffer", names, name);
  InputSpec input = input_of(file);
  for (const auto& [to, from] : copies) to->copy_(*from);
  return input;
}

ModelFactory factory_of(const std::string& source, const std::string& name) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  const auto it = r.factories.find(name);
  if (it == r.factories.end()) {
    std::vector<std::string> known;
    for (const auto& entry : r.factories) known.push_back(entry.first);
    fail_file(source,
              "a model '{}' that this program cannot build (it knows {}): call "
              "tg::register_model, or construct the model and call its load()",
              name, fmt::join(known, ", "));
  }
  return it->second;
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
  const std::string& name = file.get_string("model/name");
  const ModelConfig config = config_of(file);
  const ModelFactory factory = factory_of(file.source(), name);
  LoadedModel loaded;
  try {
    loaded.model = factory(config);
  } catch (const ArgumentError& e) {
    fail_file(source, "{} cannot be built from the file's configuration: {}", name, e.what());
  }
  if (!loaded.model) fail_file(source, "the factory of {} built no model", name);
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

void register_model(const std::string& name, ModelFactory factory) {
  if (name.empty()) fail("register_model", "the model's name is empty");
  if (!factory) fail("register_model", "the factory of '{}' is empty", name);
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.factories[name] = std::move(factory);
}

std::vector<std::string> registered_models() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& entry : r.factories) names.push_back(entry.first);
  return names;
}

}  // namespace tg
