// Liveness of a run's writer: the Recorder holds an exclusive flock() on
// "<db>.run-<id>.lock" while it records the run. The kernel drops the lock when
// the process dies (crash, SIGKILL), so a "running" run whose lock is free has
// no writer any more and is shown as "interrupted".
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>

namespace tensorpoly::sessions::detail {

std::string run_lock_path(const std::string& database_path, int64_t run_id);

// True when some open file description (this process included) holds the lock.
bool run_lock_held(const std::string& database_path, int64_t run_id);

class RunLock {
 public:
  // Creates the lock file and takes the lock; throws StoreError when it is held.
  RunLock(const std::string& database_path, int64_t run_id);
  ~RunLock();  // releases the lock and removes the file
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace tensorpoly::sessions::detail
