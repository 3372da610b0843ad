// A model's configuration: the options its constructor needs (layer sizes,
// filter size, batch norm on or off, keep_prob, dtype), by name. Module::config()
// gives it, model files save it, and load_model hands it back to the factory
// registered for the module's type (nn/module_types.h):
//
//   ModelConfig config;
//   config.set_int("num_filters", 32).set_bool("spatial_batchnorm", true);
//   config.get_int("num_filters");  // 32
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "graph/dtype.h"

namespace tg {

class ModelConfig {
 public:
  // Integers (and booleans, as 0 or 1), reals, strings, lists of integers.
  using Value = std::variant<std::int64_t, double, std::string, std::vector<std::int64_t>>;

  ModelConfig& set_int(const std::string& key, std::int64_t value);
  ModelConfig& set_bool(const std::string& key, bool value);
  ModelConfig& set_real(const std::string& key, double value);
  ModelConfig& set_string(const std::string& key, const std::string& value);
  ModelConfig& set_ints(const std::string& key, const std::vector<std::int64_t>& values);
  ModelConfig& set_dtype(const std::string& key, DType dtype);  // "float32" or "float64"

  // Each throws ArgumentError ("config: ...") naming the key when it is
  // missing or holds another kind of value.
  std::int64_t get_int(const std::string& key) const;
  bool get_bool(const std::string& key) const;  // the integer 0 or 1
  double get_real(const std::string& key) const;
  const std::string& get_string(const std::string& key) const;
  const std::vector<std::int64_t>& get_ints(const std::string& key) const;
  DType get_dtype(const std::string& key) const;

  bool empty() const { return values_.empty(); }
  const std::map<std::string, Value>& values() const { return values_; }

 private:
  const Value& value(const std::string& key) const;

  std::map<std::string, Value> values_;
};

}  // namespace tg
