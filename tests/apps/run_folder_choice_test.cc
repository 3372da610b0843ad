// apps/run_folder.h: which folder a run uses, what counts as a run in it,
// and what a resume reads from its checkpoint.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "apps/run_folder.h"
#include "graph/errors.h"
#include "io/atomic_file.h"
#include "tests/support/test_folder.h"

namespace fs = std::filesystem;

namespace {

template <class Action>
std::string argument_error_of(Action action) {
  try {
    action();
  } catch (const tg::ArgumentError& error) {
    return error.what();
  }
  return "";
}

void touch(const std::string& path) { std::ofstream(path) << "x"; }

}  // namespace

TEST_CASE("A new run's default folder names the data, the model and the time") {
  tg::TrainFlags flags = tg::default_flags("fc");
  const std::string folder = fs::path(tg::default_run_folder(flags)).filename().string();
  CHECK(folder.rfind("fashion-mnist-fc-", 0) == 0);
  CHECK(folder.size() == std::string("fashion-mnist-fc-20261207-133103").size());
  flags = tg::default_flags("charlm");
  CHECK(fs::path(tg::default_run_folder(flags)).filename().string().rfind("words-charlm-", 0) == 0);
}

TEST_CASE("A folder holding a run is refused for a new run unless --overwrite") {
  const std::string folder = tg::testing::fresh_test_folder("holds_run");
  CHECK_FALSE(tg::holds_run(folder));
  CHECK(argument_error_of([&] { tg::check_new_run_folder(folder, false); }).empty());
  touch(folder + "/history.csv");
  CHECK(tg::holds_run(folder));
  const std::string message = argument_error_of([&] { tg::check_new_run_folder(folder, false); });
  CHECK(message.find("already holds a run") != std::string::npos);
  CHECK(message.find("--resume") != std::string::npos);
  CHECK(argument_error_of([&] { tg::check_new_run_folder(folder, true); }).empty());
  touch(folder + "/a-file");
  CHECK(argument_error_of([&] {
          tg::check_new_run_folder(folder + "/a-file", true);
        }).find("this is a file") != std::string::npos);
}

TEST_CASE("Runs started together get folders of their own, each locked") {
  const std::string parent = tg::testing::fresh_test_folder("new_folders");
  const tg::RunFolder first = tg::open_new_run_folder("", parent + "/run", false);
  const tg::RunFolder second = tg::open_new_run_folder("", parent + "/run", false);
  CHECK(first.path == parent + "/run");
  CHECK(second.path == parent + "/run-2");
  CHECK(first.lock != nullptr);
  CHECK(second.lock != nullptr);
}

TEST_CASE("--resume needs a folder with a checkpoint") {
  const std::string folder = tg::testing::fresh_test_folder("resume_folder");
  CHECK(argument_error_of([&] {
          tg::open_run_to_resume(folder + "/missing");
        }).find("no such run folder") != std::string::npos);
  CHECK(argument_error_of([&] { tg::open_run_to_resume(folder); }).find("there is no") !=
        std::string::npos);
}

TEST_CASE("Temporaries of interrupted writes are removed, other files kept") {
  const std::string folder = tg::testing::fresh_test_folder("temporaries");
  tg::write_file_atomically(folder + "/history.csv", "a,b\n");
  touch(folder + "/notes.txt");
  CHECK(tg::remove_stale_run_temporaries(folder) == 0);
  CHECK(tg::testing::entries_of(folder) == std::vector<std::string>{"history.csv", "notes.txt"});
}
