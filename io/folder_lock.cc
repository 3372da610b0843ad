#include "io/folder_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "io/file_error.h"

namespace tg {
namespace {

std::string reason(int error) { return std::generic_category().message(error); }

// The process id written in an open lock file, or "" when there is none.
std::string holder_of(int fd) {
  char text[32] = {};
  const ssize_t got = ::pread(fd, text, sizeof text - 1, 0);
  if (got <= 0) return "";
  std::string pid(text, static_cast<std::size_t>(got));
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.find_first_not_of("0123456789") == std::string::npos ? pid : "";
}

}  // namespace

std::string create_new_folder(const std::string& path) {
  constexpr int kMaxSuffix = 10000;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code error;
    std::filesystem::create_directories(parent, error);
    if (error) fail_file(parent.string(), "cannot create this folder: {}", error.message());
  }
  for (int suffix = 1; suffix <= kMaxSuffix; ++suffix) {
    const std::string candidate = suffix == 1 ? path : path + "-" + std::to_string(suffix);
    if (::mkdir(candidate.c_str(), 0777) == 0) return candidate;
    if (errno != EEXIST) fail_file(candidate, "cannot create this folder: {}", reason(errno));
  }
  fail_file(path, "cannot create a new folder: this name and {} suffixed ones are taken",
            kMaxSuffix - 1);
}

FolderLock::FolderLock(const std::string& folder) : folder_(folder) {
  const std::string path = (std::filesystem::path(folder) / kLockFile).string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd_ < 0) fail_file(path, "cannot open the folder's lock file: {}", reason(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    const std::string holder = holder_of(fd_);
    ::close(fd_);
    if (error != EWOULDBLOCK) fail_file(path, "cannot lock: {}", reason(error));
    fail_file(folder,
              "in use by another process ({}, which holds the lock {}); wait for it to end or "
              "stop it",
              holder.empty() ? std::string("its PID is not recorded") : "PID " + holder, path);
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 ||
      ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int error = errno;
    ::close(fd_);
    fail_file(path, "cannot record this process in the lock file: {}", reason(error));
  }
}

FolderLock::~FolderLock() { ::close(fd_); }

}  // namespace tg
