#include "nn/containers.h"

#include "graph/checks.h"
#include "ops/math/add.h"

namespace tg {

Sequential::Sequential(Children children) {
  for (auto& [name, child] : children) add(name, std::move(child));
}

Sequential& Sequential::add(const std::string& name, std::shared_ptr<Module> child) {
  add_child(name, std::move(child));
  return *this;
}

Sequential& Sequential::add(std::shared_ptr<Module> child) {
  return add(std::to_string(children().size()), std::move(child));
}

Var Sequential::forward(const Var& x) {
  if (children().empty()) fail(prefix() + "Sequential", "has no layers");
  Var h = x;
  for (const auto& [name, child] : children()) h = (*child)(h);
  return h;
}

std::vector<LayerSpec> Sequential::layer_specs() const {
  std::vector<LayerSpec> specs;
  for (const auto& [name, child] : children()) {
    for (LayerSpec& spec : child->layer_specs()) specs.push_back(std::move(spec));
  }
  return specs;
}

std::shared_ptr<Sequential> sequential(Children children) {
  return std::make_shared<Sequential>(std::move(children));
}

ModuleList::ModuleList(Children children) {
  for (auto& [name, child] : children) add_child(name, std::move(child));
}

ModuleList& ModuleList::add(std::shared_ptr<Module> child) {
  add_child(std::to_string(children().size()), std::move(child));
  return *this;
}

Module& ModuleList::operator[](std::size_t i) const {
  if (i >= children().size()) {
    fail(prefix() + "ModuleList", "index {} is outside [0, {})", i, children().size());
  }
  return *children()[i].second;
}

Var ModuleList::forward(const Var&) {
  fail(prefix() + "ModuleList", "is a list of modules, not a layer: call its children");
}

Residual::Residual(std::shared_ptr<Module> body, std::shared_ptr<Module> shortcut)
    : body_(std::move(body)), shortcut_(std::move(shortcut)) {
  if (!body_) fail("Residual", "the body is null");
  add_child("body", body_);
  if (shortcut_) add_child("shortcut", shortcut_);
}

Var Residual::forward(const Var& x) {
  const Var out = (*body_)(x);
  const Var skip = shortcut_ ? (*shortcut_)(x) : x;
  if (out.shape() != skip.shape()) {
    fail(prefix() + "Residual", "the body gives {} but the shortcut {}", out.shape().str(),
         skip.shape().str());
  }
  return out + skip;
}

std::vector<LayerSpec> Residual::layer_specs() const {
  LayerSpec spec{"residual", {}, {}};
  spec.body = body_->layer_specs();
  if (shortcut_) spec.shortcut = shortcut_->layer_specs();
  return {spec};
}

}  // namespace tg
