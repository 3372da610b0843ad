// The training history's files: history.csv, epochs.csv, history.json and
// the run folder that holds them with curves.svg.
#include "report/history.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "graph/errors.h"
#include "io/atomic_file.h"
#include "report/history_csv.h"
#include "report/history_json.h"
#include "report/json.h"
#include "report/run_files.h"
#include "tests/support/synthetic_history.h"
#include "tests/support/test_folder.h"

using namespace tg;
using tg::testing::entries_of;
using tg::testing::file_error_of;
using tg::testing::fresh_test_folder;
using tg::testing::synthetic_history;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Bit for bit (so -0.0 differs from 0.0), with every NaN equal to every NaN.
bool identical(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof a) == 0;
}

bool identical(const IterationRecord& a, const IterationRecord& b) {
  return a.iteration == b.iteration && identical(a.epoch, b.epoch) && identical(a.loss, b.loss) &&
         identical(a.lr, b.lr);
}

bool identical(const EpochRecord& a, const EpochRecord& b) {
  return a.epoch == b.epoch && identical(a.train_acc, b.train_acc) &&
         identical(a.val_acc, b.val_acc) && identical(a.lr, b.lr) &&
         identical(a.seconds, b.seconds);
}

template <class Record>
bool identical(const std::vector<Record>& a, const std::vector<Record>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!identical(a[i], b[i])) return false;
  }
  return true;
}

// Doubles that are easy to get wrong in text.
const std::vector<double> kTrickyDoubles = {0.1,
                                            1.0 / 3,
                                            2.302585092994046,
                                            -0.0,
                                            1e-300,
                                            5e-324,  // the smallest subnormal
                                            2.2250738585072014e-308,
                                            1.7976931348623157e308,
                                            123456789.123456789,
                                            1e22,
                                            kNaN,
                                            -kNaN,  // written "-nan"
                                            kInf,
                                            -kInf};

History tricky_history() {
  History history;
  std::int64_t iteration = 1;
  for (double a : kTrickyDoubles) {
    for (double b : {0.0, 1e-3, -7.5}) {
      history.iterations.push_back({iteration++, a, b, a});
      history.iterations.push_back({iteration++, b, a, 1.0 / iteration});
    }
    history.epochs.push_back({iteration, a, 1 - a, a * 3, a / 7});
  }
  history.iterations.push_back({std::numeric_limits<std::int64_t>::max(), 1, 1, 1});
  history.epochs.push_back({std::numeric_limits<std::int64_t>::min(), 0, 0, 0, 0});
  return history;
}

}  // namespace

TEST_CASE("best_epoch is the first epoch with the highest validation accuracy") {
  History history;
  CHECK_FALSE(best_epoch(history).has_value());
  history.epochs = {{1, 0.3, 0.2, 0, 0},
                    {2, 0.5, kNaN, 0, 0},
                    {3, 0.6, 0.4, 0, 0},
                    {4, 0.7, 0.4, 0, 0},
                    {5, 0.8, 0.35, 0, 0}};
  REQUIRE(best_epoch(history).has_value());
  CHECK(best_epoch(history)->epoch == 3);
  history.epochs = {{1, 0.3, kNaN, 0, 0}};
  CHECK_FALSE(best_epoch(history).has_value());
}

TEST_CASE("history.csv and epochs.csv round-trip every double exactly") {
  const History history = tricky_history();
  const std::string iterations_text = render_history_csv(history.iterations);
  const std::string epochs_text = render_epochs_csv(history.epochs);
  CHECK(iterations_text.rfind("iteration,epoch,loss,lr\n", 0) == 0);
  CHECK(epochs_text.rfind("epoch,train_acc,val_acc,lr,seconds\n", 0) == 0);
  CHECK(identical(parse_history_csv(iterations_text, "history.csv"), history.iterations));
  CHECK(identical(parse_epochs_csv(epochs_text, "epochs.csv"), history.epochs));

  const History synthetic = synthetic_history(5000, 10);
  CHECK(identical(parse_history_csv(render_history_csv(synthetic.iterations), "h"),
                  synthetic.iterations));
  CHECK(identical(parse_epochs_csv(render_epochs_csv(synthetic.epochs), "e"), synthetic.epochs));
}

TEST_CASE("history.csv rows look as documented") {
  const std::vector<IterationRecord> rows = {{1, 0.01, 2.5, 0.001}, {2, 0.02, kNaN, 1e-05}};
  CHECK(render_history_csv(rows) ==
        "iteration,epoch,loss,lr\n1,0.01,2.5,0.001\n2,0.02,nan,1e-05\n");
  CHECK(render_history_csv({}) == "iteration,epoch,loss,lr\n");
  CHECK(render_epochs_csv({{3, 0.5, 0.25, 0.001, 12.5}}) ==
        "epoch,train_acc,val_acc,lr,seconds\n3,0.5,0.25,0.001,12.5\n");
}

TEST_CASE("CSV readers accept CRLF, a missing final newline and blank lines at the end") {
  const auto rows = parse_history_csv("iteration,epoch,loss,lr\r\n1,0.5,2,0.1\r\n2,1,1.5,0.1", "h");
  REQUIRE(rows.size() == 2);
  CHECK(rows[1].iteration == 2);
  CHECK(rows[1].loss == 1.5);
  CHECK(parse_epochs_csv("epoch,train_acc,val_acc,lr,seconds\n1,0.5,0.4,0.1,3\n\n\n", "e").size() ==
        1);
  CHECK(parse_history_csv("iteration,epoch,loss,lr\n", "h").empty());
  CHECK(parse_history_csv("iteration,epoch,loss,lr", "h").empty());
}

TEST_CASE("malformed CSV files throw FileError naming the file and the line") {
  const std::string header = "iteration,epoch,loss,lr\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "runs/a/history.csv: line 1: the file is empty"},
      {"iteration,epoch,loss\n", "runs/a/history.csv: line 1: expected the header"},
      {header + "1,0.1,2.3,0.1\n2,0.2,2.2\n", "runs/a/history.csv: line 3: expected 4 fields"},
      {header + "1,0.1,2.3,0.1,9\n", "runs/a/history.csv: line 2: expected 4 fields"},
      {header + "1,0.1,abc,0.1\n", "runs/a/history.csv: line 2: loss is not a number: \"abc\""},
      {header + "1,0.1,,0.1\n", "runs/a/history.csv: line 2: loss is not a number"},
      {header + "1,0.1,2.3x,0.1\n", "runs/a/history.csv: line 2: loss is not a number"},
      {header + "1,0.1, 2.3,0.1\n", "runs/a/history.csv: line 2: loss is not a number"},
      {header + "1,0.1,1e999,0.1\n", "runs/a/history.csv: line 2: loss is not a number"},
      {header + "1.5,0.1,2.3,0.1\n", "runs/a/history.csv: line 2: iteration is not an integer"},
      {header + "1,0.1,2.3,0.1\n\n2,0.2,2.2,0.1\n", "runs/a/history.csv: line 3: blank line"},
      {header + "\"1\",0.1,2.3,0.1\n", "runs/a/history.csv: line 2: iteration is not an integer"},
  };
  for (const auto& [text, expected] : cases) {
    CAPTURE(text);
    const std::string message =
        file_error_of([&] { parse_history_csv(text, "runs/a/history.csv"); });
    CAPTURE(message);
    CHECK(message.rfind(expected, 0) == 0);
  }
  const std::string epochs_message = file_error_of([] {
    parse_epochs_csv("epoch,train_acc,val_acc,lr,seconds\n1,0.5,0.4,0.1,3\n2,0.6,oops,0.1,3\n",
                     "epochs.csv");
  });
  CHECK(epochs_message == "epochs.csv: line 3: val_acc is not a number: \"oops\"");
}

TEST_CASE("read_history_csv names a missing file") {
  const std::string folder = fresh_test_folder("history_missing");
  const std::string path = folder + "/history.csv";
  const std::string message = file_error_of([&] { read_history_csv(path); });
  CHECK(message.rfind(path + ": cannot open: No such file or directory", 0) == 0);
}

TEST_CASE("history.json is well-formed, holds the config, and writes null for NaN") {
  History history = synthetic_history(40, 4);
  history.iterations[3].loss = kNaN;
  history.iterations[4].loss = kInf;
  history.epochs[1].val_acc = -kInf;
  const Json config = {{"model", "ThreeLayerConvNet \"small\" {3x3}"},
                       {"data", "C:\\data\\cifar-10\n[train]"},
                       {"learning_rate", 1e-3},
                       {"hidden_dims", std::vector<int>{100, 100}},
                       {"note", std::string("tab\there, nul\0end, bad \xFF byte", 29)}};
  const Json summary = {{"run_name", "run \"7\""}, {"test_acc", kNaN}, {"total_seconds", 41.5}};
  const std::string text = render_history_json(history, config, summary);
  CAPTURE(text.substr(0, 600));
  const Json json = Json::parse(text);
  CHECK(json["config"]["model"] == "ThreeLayerConvNet \"small\" {3x3}");
  CHECK(json["config"]["data"] == "C:\\data\\cifar-10\n[train]");
  CHECK(json["config"]["hidden_dims"] == Json::array({100, 100}));
  CHECK(json["config"]["note"] == std::string("tab\there, nul\0end, bad \xEF\xBF\xBD byte", 31));
  CHECK(json["run_name"] == "run \"7\"");
  CHECK(json["test_acc"].is_null());
  CHECK(json["total_seconds"] == 41.5);
  CHECK(json["iterations"][3]["loss"].is_null());
  CHECK(json["iterations"][4]["loss"].is_null());
  CHECK(json["epochs"][1]["val_acc"].is_null());
  const auto best = best_epoch(history);
  REQUIRE(best.has_value());
  CHECK(json["best_val_acc"].get<double>() == best->val_acc);
  CHECK(json["best_epoch"] == best->epoch);
  CHECK(json["iterations"].size() == 40);
  CHECK(json["iterations"][0]["loss"].get<double>() == history.iterations[0].loss);
  // Fields in the documented order, one record per line.
  std::vector<std::string> keys;
  for (const auto& [key, value] : json.items()) keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"config", "run_name", "test_acc", "total_seconds",
                                         "best_val_acc", "best_epoch", "epochs", "iterations"});
  // {, config, 3 summary fields, best_val_acc, best_epoch; epochs: 4 + 2; iterations: 40 + 3.
  CHECK(std::count(text.begin(), text.end(), '\n') == 7 + 4 + 2 + 40 + 3);
}

TEST_CASE("history.json: every double reads back exactly") {
  const History history = tricky_history();
  const Json json = Json::parse(render_history_json(history, Json::object()));
  REQUIRE(json["iterations"].size() == history.iterations.size());
  for (std::size_t i = 0; i < history.iterations.size(); ++i) {
    const IterationRecord& r = history.iterations[i];
    const Json& back = json["iterations"][i];
    CHECK(back["iteration"] == r.iteration);
    for (const auto& [name, value] :
         {std::pair{"epoch", r.epoch}, {"loss", r.loss}, {"lr", r.lr}}) {
      CAPTURE(name);
      if (std::isfinite(value)) {
        CHECK(identical(back[name].get<double>(), value));
      } else {
        CHECK(back[name].is_null());
      }
    }
  }
}

TEST_CASE("history.json of an empty history") {
  const std::string text = render_history_json(History{}, Json{{"lr", 0.1}, {"tags", {"a"}}});
  const Json json = Json::parse(text);
  CHECK(json["config"] == Json{{"lr", 0.1}, {"tags", {"a"}}});
  CHECK(json["best_val_acc"].is_null());
  CHECK(json["iterations"] == Json::array());
  CHECK(text.find(R"("iterations": [])") != std::string::npos);
}

TEST_CASE("history.json rejects a config that is no JSON object and clashing summary fields") {
  CHECK_THROWS_WITH_AS(render_history_json(History{}, Json::array({1, 2})),
                       doctest::Contains("render_history_json: config must be a JSON object"),
                       ArgumentError);
  CHECK_THROWS_AS(render_history_json(History{}, Json("text")), ArgumentError);
  CHECK_THROWS_AS(render_history_json(History{}, Json::object(), Json(3)), ArgumentError);
  CHECK_THROWS_WITH_AS(render_history_json(History{}, Json::object(), Json{{"iterations", 3}}),
                       doctest::Contains("render_history_json: summary field \"iterations\""),
                       ArgumentError);
}

TEST_CASE("json_text: compact, null for NaN and infinities, U+FFFD for invalid UTF-8") {
  CHECK(json_text(Json{{"a", 1}, {"b", "x"}}) == R"({"a":1,"b":"x"})");
  CHECK(json_text(Json(kNaN)) == "null");
  CHECK(json_text(Json(-kInf)) == "null");
  CHECK(json_text(Json("bad\xFF")) == "\"bad\xEF\xBF\xBD\"");
  CHECK(json_text(Json(std::string("nul\0one\x01", 8))) == R"("nul\u0000one\u0001")");
  for (double value : kTrickyDoubles) {
    if (!std::isfinite(value)) continue;
    CAPTURE(value);
    CHECK(identical(Json::parse(json_text(Json(value))).get<double>(), value));
  }
}

TEST_CASE("write_run_files writes the four files, which read back") {
  const std::string folder = fresh_test_folder("run_files") + "/adam-lr1e-3";
  std::filesystem::create_directory(folder);
  const History history = synthetic_history(500, 5);
  const Json config = {{"update_rule", "adam"}, {"learning_rate", 1e-3}};
  RunFilesOptions options;
  options.title = "adam-lr1e-3: FullyConnectedNet on CIFAR-10";
  options.summary = {{"total_seconds", 12.5}};
  write_run_files(folder, history, config, options);
  CHECK(entries_of(folder) ==
        std::vector<std::string>{"curves.svg", "epochs.csv", "history.csv", "history.json"});

  const History back = read_run_history(folder);
  CHECK(identical(back.iterations, history.iterations));
  CHECK(identical(back.epochs, history.epochs));
  const Json json = Json::parse(read_file(folder + "/history.json"));
  CHECK(json["total_seconds"] == 12.5);
  CHECK(json["config"] == config);
  const std::string svg = read_file(folder + "/curves.svg");
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("adam-lr1e-3: FullyConnectedNet on CIFAR-10") != std::string::npos);

  // The next epoch replaces every file; the folder holds nothing else.
  write_run_files(folder + "/", synthetic_history(600, 6), Json{{"update_rule", "adam"}});
  CHECK(read_run_history(folder).epochs.size() == 6);
  CHECK(read_file(folder + "/curves.svg").find(">adam-lr1e-3<") != std::string::npos);
  CHECK(entries_of(folder).size() == 4);
}

TEST_CASE("write_run_files into a missing folder throws FileError and creates nothing") {
  const std::string parent = fresh_test_folder("run_files_missing");
  const std::string folder = parent + "/not-made";
  const std::string message =
      file_error_of([&] { write_run_files(folder, synthetic_history(10, 1), Json::object()); });
  CHECK(message.rfind(folder + "/history.csv: ", 0) == 0);
  CHECK(entries_of(parent).empty());
}

TEST_CASE("read_run_history needs both CSV files") {
  const std::string folder = fresh_test_folder("run_files_half");
  write_file_atomically(folder + "/history.csv", render_history_csv({{1, 0.1, 2.3, 0.1}}));
  const std::string message = file_error_of([&] { read_run_history(folder); });
  CHECK(message.rfind(folder + "/epochs.csv: cannot open", 0) == 0);
}

TEST_CASE("folder_name and path_in_folder") {
  CHECK(folder_name("runs/adam-1") == "adam-1");
  CHECK(folder_name("runs/adam-1/") == "adam-1");
  CHECK(folder_name("/abs/path/run//") == "run");
  CHECK(folder_name("run") == "run");
  CHECK(folder_name(".") == std::filesystem::current_path().filename().string());
  CHECK(folder_name("") == std::filesystem::current_path().filename().string());
  CHECK(path_in_folder("runs/a", "history.csv") == "runs/a/history.csv");
  CHECK(path_in_folder("runs/a/", "history.csv") == "runs/a/history.csv");
  CHECK(path_in_folder("", "history.csv") == "history.csv");
}
