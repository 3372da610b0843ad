// history.json of a run folder: the whole run in one document, for notebooks
// and scripts. One top-level field or record per line:
//   {
//     "config": {...},                       the caller's, as given
//     ...                                    the caller's summary fields, in order
//     "best_val_acc": 0.52,                  null before the first epoch
//     "best_epoch": 7,
//     "epochs": [
//       {"epoch":1,"train_acc":0.4,"val_acc":0.38,"lr":0.001,"seconds":12.5},
//       ...],
//     "iterations": [
//       {"iteration":1,"epoch":0.01,"loss":2.3,"lr":0.001},
//       ...]
//   }
// Numbers round-trip; NaN and infinities are written as null.
#pragma once

#include <string>

#include "report/history.h"
#include "report/json.h"

namespace tg {

// Throws ArgumentError when `config` or `summary` is not a JSON object, or
// when a summary field has the name of one written here (config,
// best_val_acc, best_epoch, epochs, iterations).
std::string render_history_json(const History& history, const Json& config,
                                const Json& summary = Json::object());

}  // namespace tg
