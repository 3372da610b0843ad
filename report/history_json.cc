#include "report/history_json.h"

#include <fmt/format.h>

#include <array>
#include <string_view>

#include "graph/errors.h"

namespace tg {
namespace {

constexpr const char* kWhere = "render_history_json";
constexpr std::array<std::string_view, 5> kReservedKeys = {"config", "best_val_acc", "best_epoch",
                                                           "epochs", "iterations"};

void check_object(std::string_view what, const Json& value) {
  if (!value.is_object()) {
    throw ArgumentError(fmt::format("{}: {} must be a JSON object, got {} {}", kWhere, what,
                                    value.type_name(), json_text(value).substr(0, 80)));
  }
}

void check_summary(const Json& summary) {
  check_object("the summary", summary);
  for (std::string_view key : kReservedKeys) {
    if (summary.contains(key)) {
      throw ArgumentError(fmt::format(
          "{}: summary field \"{}\" clashes with the field of that name written from the history",
          kWhere, key));
    }
  }
}

// `records` as a JSON array with one record per line.
template <class Records, class ToJson>
std::string array_by_line(const Records& records, ToJson&& to_json) {
  if (records.empty()) return "[]";
  std::string out = "[";
  for (std::size_t i = 0; i < records.size(); ++i) {
    out += i > 0 ? ",\n    " : "\n    ";
    out += json_text(to_json(records[i]));
  }
  return out + "\n  ]";
}

}  // namespace

std::string render_history_json(const History& history, const Json& config, const Json& summary) {
  check_object("config", config);
  check_summary(summary);
  std::string out = "{\n  \"config\": " + json_text(config) + ",\n";
  for (const auto& [key, value] : summary.items()) {
    out += fmt::format("  {}: {},\n", json_text(key), json_text(value));
  }
  const auto best = best_epoch(history);
  out += fmt::format("  \"best_val_acc\": {},\n  \"best_epoch\": {},\n",
                     json_text(best ? Json(best->val_acc) : Json()),
                     json_text(best ? Json(best->epoch) : Json()));
  out += "  \"epochs\": " + array_by_line(history.epochs, [](const EpochRecord& r) {
           return Json{{"epoch", r.epoch},
                       {"train_acc", r.train_acc},
                       {"val_acc", r.val_acc},
                       {"lr", r.lr},
                       {"seconds", r.seconds}};
         });
  out +=
      ",\n  \"iterations\": " + array_by_line(history.iterations, [](const IterationRecord& r) {
        return Json{{"iteration", r.iteration}, {"epoch", r.epoch}, {"loss", r.loss}, {"lr", r.lr}};
      });
  return out + "\n}\n";
}

}  // namespace tg
