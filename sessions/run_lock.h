// Liveness of a run's writer: the Recorder holds an exclusive open-file-description
// lock (fcntl F_OFD_SETLK) on one byte of the database file itself, at
// kRunLockBase + run id, far beyond the bytes SQLite locks. The lock belongs to the
// file (its device and inode), not to the name it was opened by, so a store opened
// through a symlink or a hard link sees the same lock. The kernel drops it when the
// process dies (crash, SIGKILL), so a "running" run whose lock is free has no writer
// any more and is shown as "interrupted".
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>

namespace tensorpoly::sessions::detail {

// True when some open file description (this process included) holds the lock of
// run `run_id` on the database file at `database_path`.
bool run_lock_held(const std::string& database_path, int64_t run_id);

class RunLock {
 public:
  // Takes the lock on the database file; throws StoreError when it is held or the
  // file cannot be opened for writing.
  RunLock(const std::string& database_path, int64_t run_id);
  ~RunLock();  // releases the lock (F_UNLCK: see process_descriptor() in sqlite_util.h)
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;  // the process's writable descriptor of the file (never closed)
  int64_t run_id_ = 0;
};

}  // namespace tensorpoly::sessions::detail
