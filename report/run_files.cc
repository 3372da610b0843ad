#include "report/run_files.h"

#include <filesystem>

#include "io/atomic_file.h"
#include "report/curves_svg.h"
#include "report/history_csv.h"
#include "report/history_json.h"

namespace tg {

void write_run_files(const std::string& folder, const History& history, const Json& config,
                     const RunFilesOptions& options) {
  // Everything is rendered (and checked) before the first file is touched.
  const std::string history_json = render_history_json(history, config, options.summary);
  const std::string label = folder_name(folder);
  const std::string svg =
      render_curves_svg(history, label, options.title.empty() ? label : options.title);
  write_file_atomically(path_in_folder(folder, kHistoryCsvFile),
                        render_history_csv(history.iterations));
  write_file_atomically(path_in_folder(folder, kEpochsCsvFile), render_epochs_csv(history.epochs));
  write_file_atomically(path_in_folder(folder, kHistoryJsonFile), history_json);
  write_file_atomically(path_in_folder(folder, kCurvesSvgFile), svg);
}

History read_run_history(const std::string& folder) {
  History history;
  history.iterations = read_history_csv(path_in_folder(folder, kHistoryCsvFile));
  history.epochs = read_epochs_csv(path_in_folder(folder, kEpochsCsvFile));
  return history;
}

std::string path_in_folder(const std::string& folder, std::string_view file_name) {
  if (folder.empty()) return std::string(file_name);
  std::string path = folder;
  if (path.back() != '/') path += '/';
  path += file_name;
  return path;
}

std::string folder_name(const std::string& folder) {
  namespace fs = std::filesystem;
  fs::path path = fs::path(folder.empty() ? "." : folder).lexically_normal();
  if (!path.has_filename()) path = path.parent_path();  // "runs/a/" -> "runs/a"
  const std::string name = path.filename().string();
  if (!name.empty() && name != "." && name != "..") return name;
  // ".", "..", "../..": the name of the folder they stand for.
  std::error_code error;
  const fs::path absolute = fs::weakly_canonical(fs::absolute(path, error), error);
  if (!error && !absolute.filename().empty()) return absolute.filename().string();
  return folder;
}

}  // namespace tg
