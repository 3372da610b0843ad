// A module tree as data, and the factories that rebuild it: what model files
// store (models/model_file.h) so that any composition loads without code of
// its own.
//
// A ModuleSpec is a module's type(), config() and its children's specs. To
// rebuild one, build_module calls the factory registered under its type:
//   - a layer or model factory (register_module_type) builds the module from
//     its configuration, children included (a ThreeLayerConvNet makes its
//     own layers); the children it made must then have the spec's names and
//     types;
//   - a container factory (register_container_type) gets the children,
//     already built from their specs (Sequential, ModuleList, Residual).
// The nn/ layers and containers are registered from the start; the shipped
// models by models/model_types.h; a module of one's own with one call:
//   tg::register_module_type("Block", [](const tg::ModelConfig& c) {
//     return std::make_shared<Block>(c.get_int("channels"));
//   });
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/containers.h"
#include "nn/model_config.h"
#include "nn/module.h"

namespace tg {

struct ModuleSpec {
  std::string type;
  ModelConfig config;
  std::vector<std::pair<std::string, ModuleSpec>> children;
};

// The spec of a module and of its descendants.
ModuleSpec spec_of(const Module& module);

using ModuleFactory = std::function<std::shared_ptr<Module>(const ModelConfig& config)>;
using ContainerFactory =
    std::function<std::shared_ptr<Module>(const ModelConfig& config, Children children)>;

// The factory of a module class with a static M::from_config(config).
template <class M>
ModuleFactory factory_from_config() {
  return [](const ModelConfig& config) -> std::shared_ptr<Module> { return M::from_config(config); };
}

// Process-wide (one registry behind a mutex). Registering a type again
// replaces its factory. Throws ArgumentError for an empty type or factory.
void register_module_type(const std::string& type, ModuleFactory factory);
void register_container_type(const std::string& type, ContainerFactory factory);
// The registered types, sorted.
std::vector<std::string> registered_module_types();

// Builds the tree. Throws ArgumentError naming the module's path ("the
// module at 'layer1.0' ...") for a type nobody registered, a configuration
// its factory refuses, or children other than the spec's.
std::shared_ptr<Module> build_module(const ModuleSpec& spec);

}  // namespace tg
