// SPDX-License-Identifier: GPL-3.0-or-later
#include "run_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "sqlite_util.h"
#include "tensorpoly/sessions/store.h"

namespace tensorpoly::sessions::detail {

namespace {

// SQLite's own locks live at 1 GiB (its PENDING_BYTE) and the 512 bytes after it;
// the run locks start at 2^62, where no database ever reaches.
constexpr off_t kRunLockBase = off_t{1} << 62;

struct flock run_lock_range(int64_t run_id, short type) {
  struct flock range {};
  range.l_type = type;
  range.l_whence = SEEK_SET;
  range.l_start = kRunLockBase + static_cast<off_t>(run_id);
  range.l_len = 1;
  range.l_pid = 0;  // required by F_OFD_*
  return range;
}

}  // namespace

bool run_lock_held(const std::string& database_path, int64_t run_id) {
  const int fd = process_descriptor(database_path, false);
  if (fd < 0) return false;  // no file: no writer
  struct flock probe = run_lock_range(run_id, F_WRLCK);
  // F_OFD_GETLK reports a conflicting lock of any other open file description: another
  // process's, or this process's writable description (a Recorder of this process).
  return ::fcntl(fd, F_OFD_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
}

RunLock::RunLock(const std::string& database_path, int64_t run_id) : run_id_(run_id) {
  fd_ = process_descriptor(database_path, true);
  if (fd_ < 0) {
    throw StoreError(database_path + ": cannot open the store to lock run " +
                     std::to_string(run_id) + ": " + errno_text(errno));
  }
  struct flock lock = run_lock_range(run_id, F_WRLCK);
  if (::fcntl(fd_, F_OFD_SETLK, &lock) != 0) {
    const int error = errno;
    throw StoreError(database_path + ": run " + std::to_string(run_id) +
                     " is already being written by another process (" + errno_text(error) + ")");
  }
}

RunLock::~RunLock() {
  struct flock unlock = run_lock_range(run_id_, F_UNLCK);
  ::fcntl(fd_, F_OFD_SETLK, &unlock);
}

}  // namespace tensorpoly::sessions::detail
