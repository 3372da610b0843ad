#include "apps/run_folder.h"

#include <fmt/format.h>

#include <array>
#include <ctime>
#include <filesystem>
#include <system_error>

#include "apps/user_path.h"
#include "graph/errors.h"
#include "io/atomic_file.h"
#include "models/model_export.h"
#include "models/model_file.h"
#include "report/run_files.h"
#include "solver/solver.h"

namespace tg {
namespace {

namespace fs = std::filesystem;

// The files a run leaves, tools/predict's outputs included; and params/.
const std::array<std::string_view, 8> kRunFiles = {
    kCheckpointFile, kHistoryCsvFile, kEpochsCsvFile,  kHistoryJsonFile,
    kCurvesSvgFile,  kModelFile,      "confusion.svg", "predictions.csv"};

bool exists(const std::string& path) {
  std::error_code error;
  return fs::exists(path, error);
}

// Removes the files of the run `folder` holds: those above, params/*.npy and
// params/model.json (params/ itself when that empties it). Nothing else is
// touched.
void remove_run_files(const std::string& folder) {
  std::error_code error;
  for (std::string_view name : kRunFiles) {
    const std::string path = path_in_folder(folder, name);
    if (fs::is_regular_file(path, error) && !fs::remove(path, error)) {
      throw FileError(fmt::format("{}: cannot remove it: {}", path, error.message()));
    }
  }
  const std::string params = path_in_folder(folder, kParamsFolder);
  if (fs::is_directory(params, error)) {
    for (const fs::directory_entry& entry : fs::directory_iterator(params, error)) {
      const bool run_file =
          entry.path().extension() == ".npy" || entry.path().filename() == kModelJsonFile;
      if (run_file && !fs::remove(entry.path(), error)) {
        throw FileError(
            fmt::format("{}: cannot remove it: {}", entry.path().string(), error.message()));
      }
    }
    if (fs::is_empty(params, error)) fs::remove(params, error);
  }
}

}  // namespace

bool holds_run(const std::string& folder) {
  for (std::string_view name : kRunFiles) {
    if (exists(path_in_folder(folder, name))) return true;
  }
  return exists(path_in_folder(folder, kParamsFolder));
}

void check_new_run_folder(const std::string& folder, bool overwrite) {
  std::error_code error;
  if (exists(folder) && !fs::is_directory(folder, error)) {
    throw ArgumentError(fmt::format("--out {}: this is a file, not a folder", folder));
  }
  if (!overwrite && holds_run(folder)) {
    throw ArgumentError(fmt::format(
        "--out {}: this folder already holds a run; continue it with --resume {}, or give "
        "--overwrite to remove its files and start a new run there",
        folder, folder));
  }
}

RunFolder open_new_run_folder(const std::string& out, const std::string& default_path,
                              bool overwrite) {
  RunFolder run;
  if (out.empty()) {
    run.path = create_new_folder(default_path);
    run.lock = std::make_unique<FolderLock>(run.path);
    return run;
  }
  std::error_code error;
  fs::create_directories(out, error);
  if (error)
    throw FileError(fmt::format("{}: cannot create the run folder: {}", out, error.message()));
  run.path = out;
  run.lock = std::make_unique<FolderLock>(out);
  check_new_run_folder(out, overwrite);  // again: another run may have started here meanwhile
  if (overwrite) remove_run_files(out);
  return run;
}

RunFolder open_run_to_resume(const std::string& resume) {
  std::error_code error;
  std::string folder = resume;
  if (fs::is_regular_file(resume, error)) folder = fs::path(resume).parent_path().string();
  if (folder.empty()) folder = ".";
  if (!fs::is_directory(folder, error)) {
    throw ArgumentError(fmt::format("--resume {}: no such run folder", resume));
  }
  if (!fs::is_regular_file(path_in_folder(folder, kCheckpointFile), error)) {
    throw ArgumentError(fmt::format(
        "--resume {}: there is no {} in this folder (not a run folder, or a run that never "
        "started)",
        resume, kCheckpointFile));
  }
  RunFolder run{folder, std::make_unique<FolderLock>(folder)};  // only a run folder gets a lock
  return run;
}

std::size_t remove_stale_run_temporaries(const std::string& folder) {
  return remove_stale_temporaries(folder).size() +
         remove_stale_temporaries(path_in_folder(folder, kParamsFolder)).size();
}

std::string default_run_folder(const TrainFlags& flags) {
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
  // The language model reads a word list, not --data's images.
  const std::string data = flags.model == "charlm" ? "words" : flags.data;
  return from_user_folder(fmt::format("runs/{}-{}-{}", data, flags.model, stamp));
}

// The flags the run in a checkpoint recorded.
TrainFlags recorded_flags(const Checkpoint& checkpoint, const std::string& folder) {
  Json config;
  try {
    config = recorded_config(checkpoint);
  } catch (const FileError& error) {
    throw FileError(
        fmt::format("{} (train --out {} --overwrite with the run's flags starts it again)",
                    error.what(), folder));
  }
  if (!config.contains("train_flags")) {
    throw ArgumentError(fmt::format(
        "--resume {}: this run was not started by tools/train (its checkpoint records no train "
        "flags)",
        folder));
  }
  try {
    return flags_from_json(config.at("train_flags"));
  } catch (const ArgumentError& error) {
    throw FileError(fmt::format("{}: {}", checkpoint.source(), error.what()));
  }
}

}  // namespace tg
