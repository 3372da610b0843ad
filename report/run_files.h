// The files the Solver leaves in a run folder after every epoch:
//   history.csv, epochs.csv   the history (see history_csv.h)
//   history.json              the history with the config and a summary (see history_json.h)
//   curves.svg                loss and accuracy curves (see curves_svg.h)
#pragma once

#include <string>
#include <string_view>

#include "report/history.h"
#include "report/json.h"

namespace tg {

inline constexpr std::string_view kHistoryCsvFile = "history.csv";
inline constexpr std::string_view kEpochsCsvFile = "epochs.csv";
inline constexpr std::string_view kHistoryJsonFile = "history.json";
inline constexpr std::string_view kCurvesSvgFile = "curves.svg";

struct RunFilesOptions {
  // The title of curves.svg, e.g. "run-7: ThreeLayerConvNet on CIFAR-10";
  // empty: the folder's name.
  std::string title;
  // More top-level fields of history.json, e.g. "test_acc", "total_seconds".
  Json summary = Json::object();
};

// Writes the four files into `folder`, which must exist, each with
// write_file_atomically (so a reader never sees a half-written one); all are
// rendered before the first is written. Throws FileError (a file cannot be
// written) or ArgumentError (see render_history_json).
void write_run_files(const std::string& folder, const History& history, const Json& config,
                     const RunFilesOptions& options = {});

// History from a run folder's history.csv and epochs.csv.
History read_run_history(const std::string& folder);

// "runs/adam-1/" -> "runs/adam-1/history.csv".
std::string path_in_folder(const std::string& folder, std::string_view file_name);
// The last component of a folder path: "runs/adam-1/" -> "adam-1"; "." and
// ".." are resolved against the current directory.
std::string folder_name(const std::string& folder);

}  // namespace tg
