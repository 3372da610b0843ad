#include "io/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <utility>

#include "graph/errors.h"

namespace tg {
namespace {

[[noreturn]] void fail_file(const std::string& path, std::string_view action, int error) {
  throw FileError(fmt::format("{}: {}: {}", path, action, std::generic_category().message(error)));
}

// An open file descriptor, closed when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  FileDescriptor& operator=(FileDescriptor&&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }

  int get() const { return fd_; }

  // Closes now; returns 0 or the errno of close() (which can report a failed
  // write-back on some file systems).
  int close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

// A temporary file's name, unlinked when it goes out of scope unless it was
// renamed into place.
class TemporaryFileName {
 public:
  explicit TemporaryFileName(std::string path) : path_(std::move(path)) {}
  TemporaryFileName(const TemporaryFileName&) = delete;
  TemporaryFileName& operator=(const TemporaryFileName&) = delete;
  ~TemporaryFileName() {
    if (!renamed_) ::unlink(path_.c_str());
  }

  const std::string& path() const { return path_; }
  void mark_renamed() { renamed_ = true; }

 private:
  std::string path_;
  bool renamed_ = false;
};

std::string folder_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

constexpr std::string_view kTemporaryInfix = ".tmp.";

// Creates "<path>.tmp.<pid>.<n>" with the first n not taken (O_EXCL makes the
// name ours even when threads or processes race for the same path).
std::pair<FileDescriptor, std::string> create_temporary_beside(const std::string& path) {
  constexpr int kAttempts = 100;
  std::string candidate;
  for (int n = 0; n < kAttempts; ++n) {
    candidate = fmt::format("{}{}{}.{}", path, kTemporaryInfix, ::getpid(), n);
    const int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return {FileDescriptor(fd), candidate};
    const int error = errno;
    if (error != EEXIST) {
      fail_file(path, fmt::format("cannot create temporary file {}", candidate), error);
    }
  }
  fail_file(
      path,
      fmt::format("cannot create temporary file (tried {} names up to {})", kAttempts, candidate),
      EEXIST);
}

// write() until everything is written, retrying interrupted and partial writes.
int write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return 0;
}

int fsync_retrying(int fd) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

void sync_folder(const std::string& path) {
  const std::string folder = folder_of(path);
  FileDescriptor fd(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int error = errno;
    fail_file(path, fmt::format("written, but cannot open folder {} to sync it", folder), error);
  }
  const int error = fsync_retrying(fd.get());
  // EINVAL: a file system that cannot sync folders; there is nothing more to do.
  if (error != 0 && error != EINVAL) {
    fail_file(path, fmt::format("written, but syncing folder {} failed", folder), error);
  }
}

bool all_digits(std::string_view text) {
  if (text.empty() || text.size() > 18) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The writer's process id when `name` is "<something>.tmp.<pid>.<n>", else 0.
long temporary_writer(std::string_view name) {
  const std::size_t infix = name.rfind(kTemporaryInfix);
  if (infix == std::string_view::npos || infix == 0) return 0;
  const std::string_view rest = name.substr(infix + kTemporaryInfix.size());
  const std::size_t dot = rest.find('.');
  if (dot == std::string_view::npos) return 0;
  const std::string_view pid = rest.substr(0, dot);
  if (!all_digits(pid) || !all_digits(rest.substr(dot + 1))) return 0;
  return std::strtol(std::string(pid).c_str(), nullptr, 10);
}

bool process_runs(long pid) { return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM; }

}  // namespace

std::vector<std::string> remove_stale_temporaries(const std::string& folder) {
  namespace fs = std::filesystem;
  std::vector<std::string> removed;
  std::error_code error;
  fs::directory_iterator entries(folder, error);
  if (error) return removed;  // no folder: nothing was left there
  for (const fs::directory_entry& entry : entries) {
    const long pid = temporary_writer(entry.path().filename().string());
    if (pid <= 0 || process_runs(pid) || !entry.is_regular_file(error)) continue;
    if (::unlink(entry.path().c_str()) != 0 && errno != ENOENT) {
      fail_file(entry.path().string(), "cannot remove this stale temporary file", errno);
    }
    removed.push_back(entry.path().string());
  }
  return removed;
}

void write_file_atomically(const std::string& path, std::string_view bytes) {
  if (path.empty() || path.back() == '/') {
    throw FileError(fmt::format("write_file_atomically: \"{}\" does not name a file", path));
  }
  auto [fd, temporary_path] = create_temporary_beside(path);
  TemporaryFileName temporary(std::move(temporary_path));
  // A plain write() loop: no user-space buffer, so nothing is left to flush.
  if (int error = write_all(fd.get(), bytes)) {
    fail_file(path, fmt::format("cannot write temporary file {}", temporary.path()), error);
  }
  if (int error = fsync_retrying(fd.get())) {
    fail_file(path, fmt::format("cannot sync temporary file {}", temporary.path()), error);
  }
  if (int error = fd.close()) {
    fail_file(path, fmt::format("cannot close temporary file {}", temporary.path()), error);
  }
  if (::rename(temporary.path().c_str(), path.c_str()) != 0) {
    const int error = errno;
    fail_file(path, fmt::format("cannot rename temporary file {} over it", temporary.path()),
              error);
  }
  temporary.mark_renamed();
  sync_folder(path);
}

std::string read_file(const std::string& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) fail_file(path, "cannot open", errno);
  std::string contents;
  struct stat info {};
  if (::fstat(fd.get(), &info) == 0 && info.st_size > 0) {
    contents.reserve(static_cast<std::size_t>(info.st_size));
  }
  char buffer[1 << 16];
  while (true) {
    const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      fail_file(path, "cannot read", errno);
    }
    contents.append(buffer, static_cast<std::size_t>(got));
  }
  return contents;
}

void create_folders(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error)
    throw FileError(fmt::format("{}: cannot create the folder: {}", path, error.message()));
}

}  // namespace tg
