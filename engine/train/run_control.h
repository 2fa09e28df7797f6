// Pause / resume / stop requests from another thread, checked by the training loops
// between two steps (STYLE.md: atomic flags, no shared mutable state beyond them).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace tensorpoly::train {

class RunControl {
 public:
  void request_stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
  }
  void pause() {
    std::lock_guard<std::mutex> lock(mutex_);
    paused_ = true;
  }
  void resume() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      paused_ = false;
    }
    changed_.notify_all();
  }
  bool stop_requested() const { return stop_.load(); }
  bool paused() const { return paused_.load(); }

  // Blocks while paused (returns at once otherwise); returns false when a stop was
  // requested, true when the loop may take its next step. Returns the time spent paused
  // through `paused_seconds` so that rates exclude it.
  bool wait_until_runnable(double* paused_seconds = nullptr) {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto start = std::chrono::steady_clock::now();
    changed_.wait(lock, [&] { return !paused_.load() || stop_.load(); });
    if (paused_seconds) {
      *paused_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    return !stop_.load();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> paused_{false};
};

}  // namespace tensorpoly::train
