// The run files of a fixed history and configuration, against the files the
// project wrote before its JSON went through nlohmann-json (2026-11-29, from
// the hand-written writer): CSV and SVG byte for byte, history.json value for
// value (the writers differ only in spacing and in "2" versus "2.0").
#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <vector>

#include "io/atomic_file.h"
#include "report/json.h"
#include "report/run_files.h"
#include "tests/support/synthetic_history.h"
#include "tests/support/test_folder.h"

using namespace tg;

namespace {

constexpr const char* kGolden = "tests/report/golden/run_files/";

}  // namespace

TEST_CASE("Run files of a fixed history are what they were before nlohmann-json") {
  History history = testing::synthetic_history(60, 5);
  history.iterations[7].loss = std::numeric_limits<double>::quiet_NaN();
  history.iterations[8].loss = std::numeric_limits<double>::infinity();
  const Json config = {
      {"model", "ThreeLayerConvNet"},
      {"learning_rate", 1e-3},
      {"lr_decay", 0.8},
      {"batch_size", 64},
      {"batchnorm", true},
      {"seed", std::int64_t{0}},
      {"title", "caf\xC3\xA9 \"quoted\"\tand\\ \x01"},
      {"bad_utf8", "x\xFFy"},
      {"model_options", {{"filters", 32}, {"hidden_dims", std::vector<std::int64_t>{256, 128}}}},
      {"tiny", 5e-324},
      {"whole", 2.0},
      {"neg_zero", -0.0}};
  RunFilesOptions options;
  options.title = "ThreeLayerConvNet on Fashion-MNIST";
  options.summary = {{"test_acc", 0.9131},
                     {"total_seconds", 83.25},
                     {"nan_field", std::numeric_limits<double>::quiet_NaN()}};
  // The golden files were written into a folder named run_files.
  const std::string folder = testing::fresh_test_folder("golden") + "/run_files";
  std::filesystem::create_directory(folder);
  write_run_files(folder, history, config, options);

  for (const char* file : {"history.csv", "epochs.csv", "curves.svg"}) {
    CAPTURE(file);
    CHECK(read_file(folder + "/" + file) == read_file(std::string(kGolden) + file));
  }
  const Json now = Json::parse(read_file(folder + "/history.json"));
  const Json before = Json::parse(read_file(std::string(kGolden) + "history.json"));
  CHECK(now == before);  // same keys in the same order (ordered_json), same values
}
