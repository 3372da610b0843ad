// Folders that one process owns: a new folder whose name nobody else got,
// and a lock that keeps other processes out of a folder while it is used.
#pragma once

#include <string>

namespace tg {

// Creates the folder `path` (and its missing parents), or, when that name is
// taken, "path-2", "path-3", ...: mkdir() is atomic, so processes that ask
// for the same name at the same moment each get a folder of their own.
// Returns the folder created. Throws FileError naming the path when it
// cannot be created (and after 10000 taken names).
std::string create_new_folder(const std::string& path);

// The lock file in a locked folder.
inline constexpr const char* kLockFile = ".lock";

// An exclusive lock on a folder for as long as the object lives: flock() on
// <folder>/.lock, which records the holder's process id. Another FolderLock
// on the same folder, in this process or any other, throws FileError at once
// naming the folder and the holder's PID. The lock ends when the object is
// destroyed or the process ends, however it ends (SIGKILL included); the
// lock file stays, so that every locker locks the same file.
class FolderLock {
 public:
  // `folder` must exist.
  explicit FolderLock(const std::string& folder);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

  const std::string& folder() const { return folder_; }

 private:
  std::string folder_;
  int fd_;
};

}  // namespace tg
