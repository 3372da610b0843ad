// create_new_folder and FolderLock: one folder per run, one process per folder.
#include "io/folder_lock.h"

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "graph/errors.h"
#include "tests/support/test_folder.h"

using namespace tg;
using tg::testing::file_error_of;
using tg::testing::fresh_test_folder;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("create_new_folder adds a suffix when the name is taken") {
  const std::string root = fresh_test_folder("new_folder");
  CHECK(create_new_folder(root + "/runs/a") == root + "/runs/a");  // parents created
  CHECK(create_new_folder(root + "/runs/a") == root + "/runs/a-2");
  CHECK(create_new_folder(root + "/runs/a") == root + "/runs/a-3");
  CHECK(std::filesystem::is_directory(root + "/runs/a-3"));
  std::filesystem::create_directory(root + "/runs/b");
  CHECK(create_new_folder(root + "/runs/b") == root + "/runs/b-2");
}

TEST_CASE("create_new_folder from many threads at once: every one gets its own folder") {
  const std::string root = fresh_test_folder("new_folder_race");
  std::vector<std::string> made(16);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < made.size(); ++i) {
    threads.emplace_back([&, i] { made[i] = create_new_folder(root + "/run"); });
  }
  for (std::thread& t : threads) t.join();
  CHECK(std::set<std::string>(made.begin(), made.end()).size() == made.size());
}

TEST_CASE("create_new_folder names the path it cannot create") {
  const std::string root = fresh_test_folder("new_folder_bad");
  { std::ofstream(root + "/plain") << "x"; }
  const std::string message = file_error_of([&] { create_new_folder(root + "/plain/run"); });
  CHECK(contains(message, root + "/plain"));
}

TEST_CASE("A locked folder cannot be locked again until the lock ends") {
  const std::string folder = fresh_test_folder("folder_lock");
  {
    FolderLock lock(folder);
    const std::string message = file_error_of([&] { FolderLock second(folder); });
    CAPTURE(message);
    CHECK(message.rfind(
              folder + ": in use by another process (PID " + std::to_string(::getpid()) + ",", 0) ==
          0);
    CHECK(contains(message, "/.lock"));
  }
  FolderLock again(folder);  // released with the first
  CHECK(again.folder() == folder);
}

TEST_CASE("A folder locked by another process is refused naming its PID, free once it ends") {
  const std::string folder = fresh_test_folder("folder_lock_process");
  int ready[2], finish[2];
  REQUIRE(::pipe(ready) == 0);
  REQUIRE(::pipe(finish) == 0);
  const pid_t child = ::fork();
  if (child == 0) {
    {
      FolderLock lock(folder);
      char c = 1;
      (void)!::write(ready[1], &c, 1);
      (void)!::read(finish[0], &c, 1);  // hold the lock until told
    }
    ::_exit(0);
  }
  REQUIRE(child > 0);
  char c = 0;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  const std::string message = file_error_of([&] { FolderLock lock(folder); });
  CAPTURE(message);
  CHECK(contains(message, "in use by another process (PID " + std::to_string(child) + ","));
  (void)!::write(finish[1], &c, 1);
  ::waitpid(child, nullptr, 0);
  FolderLock mine(folder);
  for (int fd : {ready[0], ready[1], finish[0], finish[1]}) ::close(fd);
}

TEST_CASE("Locking a missing folder names it") {
  const std::string root = fresh_test_folder("folder_lock_missing");
  const std::string message = file_error_of([&] { FolderLock lock(root + "/missing"); });
  CHECK(contains(message, root + "/missing/.lock"));
}
