// Recorder: the EventSink that stores a run in SQLite on its own writer thread.
//
// The engine thread only copies each event into a bounded queue and returns. The
// writer thread commits the queue in one transaction per flush: at most every
// `flush_interval`, or as soon as `flush_rows` rows are waiting, whichever comes
// first (prepared statements reused with bind/step/reset; WAL; synchronous=NORMAL).
// Each event is written whole inside one transaction, so a reader never sees half
// of a step's metrics.
//
// Back-pressure: an on_step/on_eval/on_routing/on_checkpoint call that finds
// `queue_capacity` rows or more waiting blocks until the writer takes the queue, which
// it does as soon as it has committed the batch it is writing (that batch holds at
// most what was queued when it started, so a wait lasts about one commit of up to
// queue_capacity rows; one event is queued whole even if it alone is larger). This
// only happens when the engine produces rows faster than the disk commits them;
// otherwise a call only copies the event under a mutex the writer holds for O(1)
// (bench_sessions' BM_RecorderInsertMetrics reports the slowest on_step as
// max_on_step_ms). Nothing is ever dropped. If the writer fails (disk full, file
// removed, the store locked by another connection for longer than
// `busy_retry`), the next on_* call throws StoreError with the reason and on_run_ended
// records the run as "failed" with it; after close() they throw StoreError too.
//
// Order: on_step/on_eval/on_routing/on_checkpoint before the first on_run_started
// throw std::logic_error (they belong to no run). on_run_ended before any run is
// accepted and records nothing: the engine reports a run that failed before it
// started (its trainer could not be built) with RunEnded alone.
//
// Liveness: while a run is recorded, the Recorder holds an exclusive lock on one byte
// of the database file (sessions/run_lock.h: the file's identity, whatever name or
// link it is opened by). A read-write Store::open marks a "running" run whose lock
// is free (its writer is gone: crashed or killed) as "interrupted".
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "tensorpoly/events.h"
#include "tensorpoly/sessions/store.h"

namespace tensorpoly::sessions {

struct RecorderOptions {
  std::chrono::milliseconds flush_interval{250};
  size_t flush_rows = 20000;       // commit as soon as this many rows wait
  size_t queue_capacity = 200000;  // rows; producers wait beyond this
  // How long a commit is retried, with growing pauses, while another connection holds
  // the store (each try also waits the connection's 5 s busy timeout). Past it the
  // writer fails: the next event throws StoreError and the run ends "failed" with
  // the reason.
  std::chrono::milliseconds busy_retry{120000};
  // Called on the writer thread after each committed transaction that advanced the
  // run, with the run id and the last committed step. Keep it short (post a message
  // to the GUI thread); it must not call back into the Recorder.
  std::function<void(int64_t run_id, int64_t last_step)> on_committed;
};

class Recorder : public EventSink {
 public:
  // Opens (creating / migrating if needed) the store at `database_path` for writing.
  explicit Recorder(const std::string& database_path, RecorderOptions options = {});
  ~Recorder() override;  // close()
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Synchronous: when it returns, the run row (status "running") and its tasks are
  // committed and run_id() is valid. Throws StoreError.
  void on_run_started(const RunStarted& event) override;
  void on_step(const StepMetrics& event) override;
  void on_eval(const EvalResult& event) override;
  void on_routing(const RoutingSnapshot& event) override;
  void on_checkpoint(const CheckpointSaved& event) override;
  // Queues the final status and waits until everything is committed. When the writer
  // has failed, ends the run "failed" with the reason instead (flush() and close()
  // still throw the writer's error).
  void on_run_ended(const RunEnded& event) override;

  int64_t run_id() const;          // 0 before the first on_run_started
  int64_t committed_step() const;  // last step committed for the current run (-1: none)
  // Why recording failed ("" while it has not): the writer's error, or why the last
  // on_run_started could not record its run.
  std::string failure() const;

  // Waits until every queued event is committed. Throws StoreError if the writer failed.
  void flush();
  // flush(), then stops the writer thread. A run still "running" stays so (a later
  // Recorder or the user decides); the lock is released. Idempotent.
  void close();

  const std::string& path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tensorpoly::sessions
