// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/events.h"

#include <stdexcept>

namespace tensorpoly {

const char* run_status_name(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kFinished:
      return "finished";
    case RunStatus::kStopped:
      return "stopped";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kDiverged:
      return "diverged";
    case RunStatus::kInterrupted:
      return "interrupted";
  }
  return "unknown";
}

RunStatus parse_run_status(const std::string& name) {
  for (RunStatus s : {RunStatus::kRunning, RunStatus::kFinished, RunStatus::kStopped,
                      RunStatus::kFailed, RunStatus::kDiverged, RunStatus::kInterrupted}) {
    if (name == run_status_name(s)) return s;
  }
  throw std::invalid_argument("unknown run status '" + name +
                              "' (allowed: running, finished, stopped, failed, diverged, "
                              "interrupted)");
}

}  // namespace tensorpoly
