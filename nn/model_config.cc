#include "nn/model_config.h"

#include "graph/checks.h"

namespace tg {
namespace {

constexpr const char* kOp = "config";

// What a value holds, for messages.
const char* kind_name(const ModelConfig::Value& value) {
  constexpr const char* kNames[] = {"an integer", "a real number", "a string",
                                    "a list of integers"};
  return kNames[value.index()];
}

template <class T>
const T& as(const std::string& key, const ModelConfig::Value& value, const char* wanted) {
  if (const T* v = std::get_if<T>(&value)) return *v;
  fail(kOp, "'{}' is {}, not {}", key, kind_name(value), wanted);
}

}  // namespace

ModelConfig& ModelConfig::set_int(const std::string& key, std::int64_t value) {
  values_[key] = value;
  return *this;
}

ModelConfig& ModelConfig::set_bool(const std::string& key, bool value) {
  return set_int(key, value ? 1 : 0);
}

ModelConfig& ModelConfig::set_real(const std::string& key, double value) {
  values_[key] = value;
  return *this;
}

ModelConfig& ModelConfig::set_string(const std::string& key, const std::string& value) {
  values_[key] = value;
  return *this;
}

ModelConfig& ModelConfig::set_ints(const std::string& key,
                                   const std::vector<std::int64_t>& values) {
  values_[key] = values;
  return *this;
}

ModelConfig& ModelConfig::set_dtype(const std::string& key, DType dtype) {
  return set_string(key, std::string(name_of(dtype)));
}

const ModelConfig::Value& ModelConfig::value(const std::string& key) const {
  const auto it = values_.find(key);
  if (it == values_.end()) fail(kOp, "'{}' is missing", key);
  return it->second;
}

std::int64_t ModelConfig::get_int(const std::string& key) const {
  return as<std::int64_t>(key, value(key), "an integer");
}

bool ModelConfig::get_bool(const std::string& key) const {
  const std::int64_t v = get_int(key);
  if (v != 0 && v != 1) fail(kOp, "'{}' must be 0 or 1 (false or true), got {}", key, v);
  return v == 1;
}

double ModelConfig::get_real(const std::string& key) const {
  return as<double>(key, value(key), "a real number");
}

const std::string& ModelConfig::get_string(const std::string& key) const {
  return as<std::string>(key, value(key), "a string");
}

const std::vector<std::int64_t>& ModelConfig::get_ints(const std::string& key) const {
  return as<std::vector<std::int64_t>>(key, value(key), "a list of integers");
}

DType ModelConfig::get_dtype(const std::string& key) const {
  const std::string& name = get_string(key);
  for (DType dtype : {DType::f32, DType::f64}) {
    if (name == name_of(dtype)) return dtype;
  }
  fail(kOp, "'{}' must be \"float32\" or \"float64\", got \"{}\"", key, name);
}

}  // namespace tg
