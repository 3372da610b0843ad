// plot: redraws the loss and accuracy curves of one or more run folders.
//   bazel run //tools:plot -- runs/adam [runs/sgd ...] [--out FILE.svg] [--title TEXT]
// Reads each folder's history.csv and epochs.csv and overlays the runs, each
// named after its folder. With one folder the SVG goes to its curves.svg,
// with several --out is required. --out writes only over an SVG: an existing
// file that is not one (a run's epochs.csv, say) is refused. Exit status: 0
// done, 1 a file could not be read or written, 2 a bad command line.
#include "apps/usage_error.h"
#include "apps/plot.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "apps/user_path.h"
#include "graph/errors.h"
#include "io/atomic_file.h"
#include "report/curves_svg.h"
#include "report/run_files.h"

namespace {

struct PlotOptions {
  std::vector<std::string> folders;
  std::string out;
  std::string title;
};

// Each folder's name, with its parent's in front where two runs would
// otherwise share a name ("a/run-1", "b/run-1").
std::vector<std::string> labels_of(const std::vector<std::string>& folders) {
  std::vector<std::string> labels;
  std::map<std::string, int> uses;
  for (const std::string& folder : folders) {
    labels.push_back(tg::folder_name(folder));
    ++uses[labels.back()];
  }
  for (std::size_t i = 0; i < folders.size(); ++i) {
    if (uses[labels[i]] > 1) {
      const std::string parent = tg::folder_name(
          (std::filesystem::path(folders[i]).lexically_normal() / "..").lexically_normal());
      labels[i] = parent + "/" + labels[i];
    }
  }
  return labels;
}

// Whether `bytes` (a file's first ones) are an SVG document's: "<svg", or an
// XML declaration or comment first and "<svg" soon after.
bool looks_like_svg(const std::string& bytes) {
  const std::size_t start = bytes.find_first_not_of(" \t\r\n\xef\xbb\xbf");
  if (start == std::string::npos || bytes[start] != '<') return false;
  return bytes.compare(start, 4, "<svg") == 0 ||
         ((bytes.compare(start, 5, "<?xml") == 0 || bytes.compare(start, 4, "<!--") == 0) &&
          bytes.find("<svg") != std::string::npos);
}

// Refuses to write the plot over a folder or over a file that is not an SVG.
void check_output(const std::string& out) {
  std::error_code error;
  if (std::filesystem::is_directory(out, error)) {
    throw tg::ArgumentError(fmt::format("--out {}: this is a folder; give a file name", out));
  }
  if (!std::filesystem::exists(out, error)) return;
  std::ifstream file(out, std::ios::binary);
  std::string head(4096, '\0');
  file.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(file.gcount()));
  if (!looks_like_svg(head)) {
    throw tg::ArgumentError(fmt::format(
        "--out {}: this file exists and is not an SVG; plot replaces only SVG files (give "
        "another name)",
        out));
  }
}

void plot(const PlotOptions& options) {
  std::vector<std::string> folders;
  for (const std::string& folder : options.folders) {
    folders.push_back(tg::from_user_folder(folder));
  }
  if (folders.size() > 1 && options.out.empty()) {
    throw tg::ArgumentError("--out: required when overlaying several run folders");
  }
  const std::string out = options.out.empty()
                              ? tg::path_in_folder(folders.front(), tg::kCurvesSvgFile)
                              : tg::from_user_folder(options.out);

  check_output(out);
  const std::vector<std::string> labels = labels_of(folders);
  std::vector<tg::LabeledHistory> runs;
  for (std::size_t i = 0; i < folders.size(); ++i) {
    runs.push_back({labels[i], tg::read_run_history(folders[i])});
  }
  tg::write_file_atomically(out, tg::render_curves_svg(runs, options.title));
  fmt::print("plot: wrote {} ({} run{})\n", out, runs.size(), runs.size() == 1 ? "" : "s");
}

}  // namespace

int tg::plot_main(int argc, char** argv) {
  PlotOptions options;
  CLI::App app(
      "Redraws the loss and accuracy curves of run folders (history.csv, epochs.csv) "
      "as one SVG.",
      "plot");
  app.add_option("run_folders", options.folders, "run folders, overlaid in one plot")
      ->required()
      ->type_name("RUN_FOLDER");
  app.add_option("--out,-o", options.out,
                 "the SVG to write (default: curves.svg in the run folder; required for several)")
      ->type_name("FILE.svg");
  app.add_option("--title", options.title, "the plot's title (default: the runs' names)")
      ->type_name("TEXT");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return usage_error(app, error, "plot");
  }
  try {
    plot(options);
  } catch (const tg::ArgumentError& error) {
    fmt::print(stderr, "plot: {} (see --help)\n", error.what());
    return 2;
  } catch (const tg::Error& error) {
    fmt::print(stderr, "plot: {}\n", error.what());
    return 1;
  } catch (const std::exception& error) {
    fmt::print(stderr, "plot: unexpected error: {}\n", error.what());
    return 1;
  }
  return 0;
}
