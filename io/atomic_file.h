// Whole-file reads and all-or-nothing writes, for run files and checkpoints.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tg {

// Replaces the file at `path` with `bytes` so that a reader (or a crash at
// any moment) sees either the old file or the complete new one, never a part:
// the bytes go to a new temporary file in the same folder, are synced to disk,
// and the temporary is renamed over `path`; then the folder is synced so the
// rename itself is durable. The new file gets the usual permissions (0666
// less the umask). Throws FileError naming the path and the system's reason;
// the temporary file is removed on failure and `path` keeps its old contents.
void write_file_atomically(const std::string& path, std::string_view bytes);

// Removes the temporary files that interrupted writes (a crash, SIGKILL, a
// full disk) left in `folder`: names of the pattern write_file_atomically
// uses, "<name>.tmp.<pid>.<n>", whose process <pid> no longer runs (a live
// writer's file is left alone). Nothing else is touched; the folder itself
// is not searched recursively. Returns the paths removed; a missing folder
// is no error. Throws FileError when a stale file cannot be removed.
std::vector<std::string> remove_stale_temporaries(const std::string& folder);

// Creates the folder at `path` and any missing parents (like mkdir -p); an
// existing folder is fine. Throws FileError naming the path and the system's
// reason (never std::filesystem_error).
void create_folders(const std::string& path);

// The whole contents of a file. Throws FileError naming the path when the
// file is missing or unreadable.
std::string read_file(const std::string& path);

}  // namespace tg
