#include "nn/module_types.h"

#include <fmt/format.h>

#include <map>
#include <mutex>

#include "graph/checks.h"
#include "nn/activations.h"
#include "nn/attention.h"
#include "nn/batchnorm.h"
#include "nn/conv2d.h"
#include "nn/dropout.h"
#include "nn/flatten.h"
#include "nn/linear.h"
#include "nn/normalization.h"
#include "nn/pooling.h"
#include "nn/recurrent.h"
#include "nn/transformer.h"

namespace tg {
namespace {

struct Factory {
  ModuleFactory module;        // set for layers and models
  ContainerFactory container;  // set for containers
};

template <class M>
ModuleFactory without_config() {
  return [](const ModelConfig&) -> std::shared_ptr<Module> { return std::make_shared<M>(); };
}

ModuleFactory recurrent(CellKind kind) {
  return [kind](const ModelConfig& c) -> std::shared_ptr<Module> {
    return recurrent_from_config(kind, c);
  };
}

struct Registry {
  std::mutex mutex;
  std::map<std::string, Factory> factories = {
      {"Linear", {factory_from_config<Linear>(), {}}},
      {"Conv2d", {factory_from_config<Conv2d>(), {}}},
      {"BatchNorm1d", {factory_from_config<BatchNorm1d>(), {}}},
      {"BatchNorm2d", {factory_from_config<BatchNorm2d>(), {}}},
      {"LayerNorm", {factory_from_config<LayerNorm>(), {}}},
      {"GroupNorm", {factory_from_config<GroupNorm>(), {}}},
      {"Dropout", {factory_from_config<Dropout>(), {}}},
      {"ReLU", {without_config<ReLU>(), {}}},
      {"LeakyReLU", {factory_from_config<LeakyReLU>(), {}}},
      {"GELU", {factory_from_config<GELU>(), {}}},
      {"Tanh", {without_config<Tanh>(), {}}},
      {"Sigmoid", {without_config<Sigmoid>(), {}}},
      {"MaxPool2d", {factory_from_config<MaxPool2d>(), {}}},
      {"AvgPool2d", {factory_from_config<AvgPool2d>(), {}}},
      {"GlobalAvgPool2d", {without_config<GlobalAvgPool2d>(), {}}},
      {"Flatten", {without_config<Flatten>(), {}}},
      {"Embedding", {factory_from_config<Embedding>(), {}}},
      {"RNN", {recurrent(CellKind::rnn), {}}},
      {"LSTM", {recurrent(CellKind::lstm), {}}},
      {"GRU", {recurrent(CellKind::gru), {}}},
      {"LastStep", {without_config<LastStep>(), {}}},
      {"MultiHeadAttention", {factory_from_config<MultiHeadAttention>(), {}}},
      {"PositionalEncoding", {factory_from_config<PositionalEncoding>(), {}}},
      {"TransformerEncoderLayer", {factory_from_config<TransformerEncoderLayer>(), {}}},
      {"TransformerDecoderLayer", {factory_from_config<TransformerDecoderLayer>(), {}}},
      {"Sequential",
       {{},
        [](const ModelConfig&, Children children) -> std::shared_ptr<Module> {
          return std::make_shared<Sequential>(std::move(children));
        }}},
      {"ModuleList",
       {{},
        [](const ModelConfig&, Children children) -> std::shared_ptr<Module> {
          return std::make_shared<ModuleList>(std::move(children));
        }}},
      {"Residual",
       {{},
        [](const ModelConfig&, Children children) -> std::shared_ptr<Module> {
          const bool body_only = children.size() == 1 && children[0].first == "body";
          const bool both = children.size() == 2 && children[0].first == "body" &&
                            children[1].first == "shortcut";
          if (!body_only && !both) fail("Residual", "its children must be body [and shortcut]");
          return std::make_shared<Residual>(children[0].second,
                                            both ? children[1].second : nullptr);
        }}},
  };
};

Registry& registry() {
  static Registry instance;
  return instance;
}

Factory factory_of(const std::string& type) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  const auto it = r.factories.find(type);
  if (it != r.factories.end()) return it->second;
  std::vector<std::string> known;
  for (const auto& entry : r.factories) known.push_back(entry.first);
  fail("build_module",
       "no factory for a module of type '{}' (known: {}): call tg::register_module_type", type,
       fmt::join(known, ", "));
}

std::string where(const std::string& path) {
  return path.empty() ? "the root module" : fmt::format("the module at '{}'", path);
}

// The built module's children against the spec's, names and types.
void check_children(const std::string& path, const Module& built, const ModuleSpec& spec) {
  const Children& have = built.children();
  std::vector<std::string> want_names, have_names;
  for (const auto& [name, child] : spec.children) want_names.push_back(name + " " + child.type);
  for (const auto& [name, child] : have) have_names.push_back(name + " " + child->type());
  if (want_names != have_names) {
    fail("build_module", "{} ({}) was built with children [{}], the spec has [{}]", where(path),
         spec.type, fmt::join(have_names, ", "), fmt::join(want_names, ", "));
  }
  for (std::size_t i = 0; i < have.size(); ++i) {
    const std::string child_path = path.empty() ? have[i].first : path + "." + have[i].first;
    check_children(child_path, *have[i].second, spec.children[i].second);
  }
}

std::shared_ptr<Module> build_at(const std::string& path, const ModuleSpec& spec) {
  const Factory factory = factory_of(spec.type);
  std::shared_ptr<Module> built;
  try {
    if (factory.container) {
      Children children;
      for (const auto& [name, child] : spec.children) {
        children.emplace_back(name, build_at(path.empty() ? name : path + "." + name, child));
      }
      built = factory.container(spec.config, std::move(children));
    } else {
      built = factory.module(spec.config);
    }
  } catch (const ArgumentError& e) {
    if (std::string_view(e.what()).rfind("build_module:", 0) == 0) throw;
    fail("build_module", "{} ({}) cannot be built from its configuration: {}", where(path),
         spec.type, e.what());
  }
  if (!built) fail("build_module", "the factory of {} built nothing", spec.type);
  if (built->type() != spec.type) {
    fail("build_module", "the factory of {} built a {}", spec.type, built->type());
  }
  if (!factory.container) check_children(path, *built, spec);
  return built;
}

}  // namespace

ModuleSpec spec_of(const Module& module) {
  ModuleSpec spec{module.type(), module.config(), {}};
  for (const auto& [name, child] : module.children())
    spec.children.emplace_back(name, spec_of(*child));
  return spec;
}

void register_module_type(const std::string& type, ModuleFactory factory) {
  if (type.empty()) fail("register_module_type", "the type's name is empty");
  if (!factory) fail("register_module_type", "the factory of '{}' is empty", type);
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.factories[type] = {std::move(factory), {}};
}

void register_container_type(const std::string& type, ContainerFactory factory) {
  if (type.empty()) fail("register_container_type", "the type's name is empty");
  if (!factory) fail("register_container_type", "the factory of '{}' is empty", type);
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.factories[type] = {{}, std::move(factory)};
}

std::vector<std::string> registered_module_types() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<std::string> types;
  for (const auto& entry : r.factories) types.push_back(entry.first);
  return types;
}

std::shared_ptr<Module> build_module(const ModuleSpec& spec) { return build_at("", spec); }

}  // namespace tg
