// SPDX-License-Identifier: GPL-3.0-or-later
#include "run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "sqlite_util.h"
#include "tensorpoly/sessions/store.h"

namespace tensorpoly::sessions::detail {

std::string run_lock_path(const std::string& database_path, int64_t run_id) {
  return database_path + ".run-" + std::to_string(run_id) + ".lock";
}

bool run_lock_held(const std::string& database_path, int64_t run_id) {
  const std::string path = run_lock_path(database_path, run_id);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // no lock file: no writer
  const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // also releases the lock if we took it
  return held;
}

RunLock::RunLock(const std::string& database_path, int64_t run_id)
    : path_(run_lock_path(database_path, run_id)) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw StoreError(path_ + ": cannot create the run's lock file: " + errno_text(errno));
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd_);
    throw StoreError(path_ + ": run " + std::to_string(run_id) +
                     " is already being written by another process (" + errno_text(error) + ")");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) == 0) {
    [[maybe_unused]] const ssize_t written = ::write(fd_, pid.data(), pid.size());
  }
}

RunLock::~RunLock() {
  ::unlink(path_.c_str());
  ::close(fd_);
}

}  // namespace tensorpoly::sessions::detail
