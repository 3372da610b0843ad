// Modules made of modules.
//   Sequential: children called in order, each on the previous one's output.
//     auto net = tg::sequential({{"conv", conv}, {"relu", std::make_shared<tg::ReLU>()}});
//     net->add("fc", fc);            // or add(fc): named by its position, "2"
//   ModuleList: children held and saved, called by the module that owns it.
//   Residual: body(x) + shortcut(x), or body(x) + x without a shortcut (He
//     et al. 2016); the shapes must match.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/module.h"

namespace tg {

using Children = std::vector<std::pair<std::string, std::shared_ptr<Module>>>;

class Sequential : public Module {
 public:
  Sequential() = default;
  explicit Sequential(Children children);
  // Appends a child; without a name, its position ("0", "1", ...).
  Sequential& add(const std::string& name, std::shared_ptr<Module> child);
  Sequential& add(std::shared_ptr<Module> child);
  std::size_t size() const { return children().size(); }

  Var forward(const Var& x) override;
  std::string type() const override { return "Sequential"; }
  // The children's, in order.
  std::vector<LayerSpec> layer_specs() const override;
};

std::shared_ptr<Sequential> sequential(Children children);

class ModuleList : public Module {
 public:
  ModuleList() = default;
  explicit ModuleList(Children children);
  ModuleList& add(std::shared_ptr<Module> child);  // named by its position
  std::size_t size() const { return children().size(); }
  Module& operator[](std::size_t i) const;
  // A ModuleList is not called: its owner calls its children.
  Var forward(const Var& x) override;
  std::string type() const override { return "ModuleList"; }
};

class Residual : public Module {
 public:
  explicit Residual(std::shared_ptr<Module> body, std::shared_ptr<Module> shortcut = nullptr);
  Var forward(const Var& x) override;
  std::string type() const override { return "Residual"; }
  std::vector<LayerSpec> layer_specs() const override;

 private:
  std::shared_ptr<Module> body_, shortcut_;
};

}  // namespace tg
