#include "report/history_json.h"

#include <fmt/format.h>

#include <array>
#include <iterator>

#include "graph/errors.h"
#include "report/json_check.h"

namespace tg {
namespace {

constexpr const char* kWhere = "render_history_json";
constexpr std::array<std::string_view, 5> kReservedKeys = {"config", "best_val_acc", "best_epoch",
                                                           "epochs", "iterations"};

void check_config(std::string_view config_json) {
  const std::size_t first = config_json.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || config_json[first] != '{' || !is_valid_json(config_json)) {
    throw ArgumentError(fmt::format("{}: config must be one JSON object, got \"{}\"", kWhere,
                                    config_json.substr(0, 80)));
  }
}

void check_summary(const JsonObject& summary) {
  for (std::string_view key : kReservedKeys) {
    if (summary.has(key)) {
      throw ArgumentError(fmt::format(
          "{}: summary field \"{}\" clashes with the field of that name written from the history",
          kWhere, key));
    }
  }
}

}  // namespace

std::string render_history_json(const History& history, std::string_view config_json,
                                const JsonObject& summary) {
  check_config(config_json);
  check_summary(summary);
  std::string out;
  out.reserve(80 * (history.iterations.size() + history.epochs.size()) + config_json.size() + 256);
  auto to = std::back_inserter(out);
  fmt::format_to(to, "{{\n  \"config\": {},\n", config_json);
  for (const auto& [key, value] : summary.fields()) {
    fmt::format_to(to, "  {}: {},\n", json_string(key), value);
  }
  const auto best = best_epoch(history);
  fmt::format_to(to, "  \"best_val_acc\": {},\n  \"best_epoch\": {},\n",
                 best ? json_number(best->val_acc) : "null",
                 best ? json_number(best->epoch) : "null");

  out += "  \"epochs\": [";
  for (std::size_t i = 0; i < history.epochs.size(); ++i) {
    const EpochRecord& r = history.epochs[i];
    fmt::format_to(to,
                   "{}\n    {{\"epoch\": {}, \"train_acc\": {}, \"val_acc\": {}, \"lr\": {}, "
                   "\"seconds\": {}}}",
                   i > 0 ? "," : "", json_number(r.epoch), json_number(r.train_acc),
                   json_number(r.val_acc), json_number(r.lr), json_number(r.seconds));
  }
  out += history.epochs.empty() ? "],\n" : "\n  ],\n";

  out += "  \"iterations\": [";
  for (std::size_t i = 0; i < history.iterations.size(); ++i) {
    const IterationRecord& r = history.iterations[i];
    fmt::format_to(to, "{}\n    {{\"iteration\": {}, \"epoch\": {}, \"loss\": {}, \"lr\": {}}}",
                   i > 0 ? "," : "", json_number(r.iteration), json_number(r.epoch),
                   json_number(r.loss), json_number(r.lr));
  }
  out += history.iterations.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

std::string render_history_json(const History& history, const JsonObject& config,
                                const JsonObject& summary) {
  return render_history_json(history, config.str(), summary);
}

}  // namespace tg
