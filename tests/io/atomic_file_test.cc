// write_file_atomically, read_file and remove_stale_temporaries.
#include "io/atomic_file.h"

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "graph/errors.h"
#include "tests/support/test_folder.h"

using namespace tg;
using tg::testing::entries_of;
using tg::testing::file_error_of;
using tg::testing::fresh_test_folder;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("write_file_atomically creates a file that read_file reads back") {
  const std::string folder = fresh_test_folder("atomic_create");
  const std::string path = folder + "/a.txt";
  write_file_atomically(path, "hello\n");
  CHECK(read_file(path) == "hello\n");
  CHECK(entries_of(folder) == std::vector<std::string>{"a.txt"});
}

TEST_CASE("write_file_atomically keeps every byte, NUL and empty files included") {
  const std::string folder = fresh_test_folder("atomic_bytes");
  std::string bytes;
  for (int i = 0; i < 300000; ++i) bytes += static_cast<char>(i * 7 % 256);
  write_file_atomically(folder + "/binary", bytes);
  CHECK(read_file(folder + "/binary") == bytes);
  write_file_atomically(folder + "/empty", "");
  CHECK(read_file(folder + "/empty").empty());
}

TEST_CASE("write_file_atomically replaces the old contents fully and leaves no temporary") {
  const std::string folder = fresh_test_folder("atomic_replace");
  const std::string path = folder + "/history.csv";
  write_file_atomically(path, std::string(10000, 'x'));
  write_file_atomically(path, "short");
  CHECK(read_file(path) == "short");
  write_file_atomically(path, std::string(20000, 'y'));
  CHECK(read_file(path) == std::string(20000, 'y'));
  CHECK(entries_of(folder) == std::vector<std::string>{"history.csv"});
}

TEST_CASE("write_file_atomically into a missing folder throws FileError and leaves nothing") {
  const std::string folder = fresh_test_folder("atomic_missing");
  const std::string path = folder + "/no-such-folder/file.txt";
  const std::string message = file_error_of([&] { write_file_atomically(path, "data"); });
  CAPTURE(message);
  CHECK(message.rfind(path, 0) == 0);  // starts with the path
  CHECK(contains(message, "No such file or directory"));
  CHECK(entries_of(folder).empty());
}

TEST_CASE("write_file_atomically over a folder fails, removes its temporary, keeps the folder") {
  const std::string folder = fresh_test_folder("atomic_over_folder");
  const std::string target = folder + "/taken";
  std::filesystem::create_directory(target);
  write_file_atomically(target + "/inside", "keep me");
  const std::string message = file_error_of([&] { write_file_atomically(target, "data"); });
  CAPTURE(message);
  CHECK(message.rfind(target, 0) == 0);
  CHECK(contains(message, "cannot rename"));
  CHECK(entries_of(folder) == std::vector<std::string>{"taken"});
  CHECK(read_file(target + "/inside") == "keep me");
}

TEST_CASE("write_file_atomically rejects paths that name no file") {
  CHECK(contains(file_error_of([] { write_file_atomically("", "x"); }), "write_file_atomically"));
  const std::string folder = fresh_test_folder("atomic_slash");
  CHECK(contains(file_error_of([&] { write_file_atomically(folder + "/", "x"); }),
                 "does not name a file"));
  CHECK(entries_of(folder).empty());
}

TEST_CASE("write_file_atomically from several threads at once: one complete version wins") {
  const std::string folder = fresh_test_folder("atomic_threads");
  const std::string path = folder + "/shared.txt";
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&path, t] {
      for (int i = 0; i < 25; ++i)
        write_file_atomically(path, std::string(5000 + t, char('a' + t)));
    });
  }
  for (std::thread& writer : writers) writer.join();
  const std::string contents = read_file(path);
  REQUIRE(contents.size() >= 5000);
  const int t = contents[0] - 'a';
  CHECK(contents == std::string(5000 + t, char('a' + t)));
  CHECK(entries_of(folder) == std::vector<std::string>{"shared.txt"});
}

TEST_CASE("read_file names the path when the file is missing or unreadable") {
  const std::string folder = fresh_test_folder("read_missing");
  const std::string missing = folder + "/missing.csv";
  const std::string message = file_error_of([&] { read_file(missing); });
  CHECK(message.rfind(missing, 0) == 0);
  CHECK(contains(message, "No such file or directory"));
  const std::string folder_message = file_error_of([&] { read_file(folder); });
  CHECK(folder_message.rfind(folder, 0) == 0);
  CHECK(contains(folder_message, "cannot read"));
}

TEST_CASE("remove_stale_temporaries removes only the writer's leftovers of ended processes") {
  const std::string folder = fresh_test_folder("stale_temporaries");
  // A process id that no longer runs: a child that has exited and been reaped.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  REQUIRE(child > 0);
  ::waitpid(child, nullptr, 0);
  const std::string dead = std::to_string(child), alive = std::to_string(::getpid());
  const std::vector<std::string> stale = {"checkpoint.tgck.tmp." + dead + ".0",
                                          "history.csv.tmp." + dead + ".17"};
  const std::vector<std::string> kept = {
      "checkpoint.tgck",                 // the files themselves
      "epochs.csv.tmp." + alive + ".0",  // a live writer's
      "notes.tmp.txt",                   // not the pattern
      "a.tmp." + dead,                   // no counter
      "a.tmp." + dead + ".x",            // counter not a number
      ".tmp." + dead + ".0",             // no file name before it
  };
  for (const std::string& name : stale) write_file_atomically(folder + "/" + name, "partial");
  for (const std::string& name : kept) write_file_atomically(folder + "/" + name, "keep");
  std::filesystem::create_directory(folder + "/params.tmp." + dead + ".1");  // a folder: kept
  const std::vector<std::string> removed = remove_stale_temporaries(folder);
  CHECK(removed.size() == 2);
  std::vector<std::string> expected = kept;
  expected.push_back("params.tmp." + dead + ".1");
  std::sort(expected.begin(), expected.end());
  CHECK(entries_of(folder) == expected);
  CHECK(remove_stale_temporaries(folder + "/missing").empty());
}
