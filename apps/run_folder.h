// The run folder of tools/train: a new one that no other run shares, or the
// one of a run to continue; locked for the whole run (io/folder_lock.h), so
// that a second training in it fails at once naming the first one's PID.
#pragma once

#include <memory>
#include <string>

#include "apps/train_flags.h"
#include "io/checkpoint.h"
#include "io/folder_lock.h"

namespace tg {

struct RunFolder {
  std::string path;
  std::unique_ptr<FolderLock> lock;
};

// Whether `folder` holds a run's files: a checkpoint, history, curves or
// parameters.
bool holds_run(const std::string& folder);

// Refuses --out `folder` when it is a file, or a folder that holds a run and
// `overwrite` is false: ArgumentError naming the folder and the two ways on
// (--resume it, or --overwrite). Checked before the data is loaded, and
// again once the folder is locked.
void check_new_run_folder(const std::string& folder, bool overwrite);

// A new run's folder, locked: `out` (created if missing; with `overwrite`
// the files of the run it held are removed first), or when `out` is empty a
// new folder `default_path`, with a suffix "-2", "-3"... if that is taken.
RunFolder open_new_run_folder(const std::string& out, const std::string& default_path,
                              bool overwrite);

// The folder of the run to continue, locked: `resume` is the folder or its
// checkpoint. ArgumentError when it is not a folder with a checkpoint.
RunFolder open_run_to_resume(const std::string& resume);

// Removes the temporary files interrupted writes left in the folder and in
// its params/ (io/atomic_file.h); returns how many.
std::size_t remove_stale_run_temporaries(const std::string& folder);

// A new run's default folder: runs/<data>-<model>-<local time> under the
// user's folder (runs/words-charlm-<time> for the language model, which
// reads a word list, not --data's images).
std::string default_run_folder(const TrainFlags& flags);

// The flags the run whose checkpoint is in `folder` recorded. FileError for
// a checkpoint whose record cannot be read, ArgumentError for a run that was
// not started by tools/train.
TrainFlags recorded_flags(const Checkpoint& checkpoint, const std::string& folder);

}  // namespace tg
