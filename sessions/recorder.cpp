// Recorder: stores a run's events on its own writer thread, one transaction per
// flush (see tensorpoly/sessions/recorder.h for the contract).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/sessions/recorder.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>
#include <variant>

#include "run_lock.h"
#include "sqlite_util.h"
#include "transaction.h"

namespace tensorpoly::sessions {

using detail::Statement;

namespace {

using Payload = std::variant<StepMetrics, EvalResult, RoutingSnapshot, CheckpointSaved, RunEnded>;

struct Item {
  int64_t run_id = 0;
  Payload payload;
  size_t rows = 1;
};

}  // namespace

struct Recorder::Impl {
  Impl(const std::string& database_path, RecorderOptions recorder_options)
      : store(Store::open(database_path)), options(std::move(recorder_options)) {
    if (store.read_only()) throw StoreError(store.notice());
    options.flush_rows = std::max<size_t>(options.flush_rows, 1);
    options.queue_capacity = std::max(options.queue_capacity, options.flush_rows);
    sqlite3* db = store.handle();
    const std::string& path = store.path();
    // Series interleave in the metrics b-tree; a larger page cache keeps their
    // insertion points in memory.
    detail::exec(db, path, "PRAGMA cache_size = -32768");
    insert_metric = std::make_unique<Statement>(
        db, path,
        "INSERT OR REPLACE INTO metrics (run_id, name, split, task, step, value, wall_time_s)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    insert_evaluation = std::make_unique<Statement>(
        db, path,
        "INSERT OR REPLACE INTO evaluations (run_id, split, step, task, loss, exact_match,"
        " accuracy, n_examples, wall_time_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    insert_routing = std::make_unique<Statement>(
        db, path,
        "INSERT OR REPLACE INTO routing (run_id, step, layer_index, layer, kind, shape, data)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    insert_adapted_routing = std::make_unique<Statement>(
        db, path,
        "INSERT OR REPLACE INTO adapted_routing (run_id, step, layer_index, layer, kind, shape,"
        " data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    insert_checkpoint = std::make_unique<Statement>(
        db, path, "INSERT OR REPLACE INTO checkpoints (run_id, step, path) VALUES (?1, ?2, ?3)");
    advance_run = std::make_unique<Statement>(
        db, path, "UPDATE runs SET last_step = ?2 WHERE id = ?1 AND last_step < ?2");
    end_run =
        std::make_unique<Statement>(db, path,
                                    "UPDATE runs SET status = ?2, finished_at = ?3, message = ?4,"
                                    " last_step = max(last_step, ?5) WHERE id = ?1");
    writer = std::thread([this] { write_loop(); });
  }

  void enqueue(Item item) {
    std::unique_lock<std::mutex> lock(mutex);
    room.wait(lock, [this] { return queued_rows < options.queue_capacity || !error.empty(); });
    if (!error.empty()) throw StoreError(error);
    if (stopping) throw StoreError(store.path() + ": the recorder is closed");
    const bool was_empty = queue.empty();
    if (was_empty) first_pending = std::chrono::steady_clock::now();
    queued_rows += item.rows;
    queue.push_back(std::move(item));
    ++enqueued;
    // The writer sleeps untimed on an empty queue: wake it to start the flush
    // interval, and again when a batch is full.
    if (was_empty || queued_rows >= options.flush_rows) wake_writer.notify_one();
  }

  // The run the next event belongs to; an event before on_run_started has none.
  int64_t current_run(const char* event) const {
    const int64_t id = run_id.load();
    if (id == 0) {
      throw std::logic_error(store.path() + ": Recorder::" + event +
                             " before on_run_started: every event belongs to a run, so the "
                             "engine must report RunStarted first");
    }
    return id;
  }

  void flush() {
    std::unique_lock<std::mutex> lock(mutex);
    const uint64_t target = enqueued;
    if (committed < target) {
      flush_requested = true;
      wake_writer.notify_one();
      committed_cv.wait(lock, [&] { return committed >= target; });
    }
    if (!error.empty()) throw StoreError(error);
  }

  void write_loop() {
    std::deque<Item> batch;
    while (true) {
      std::unique_lock<std::mutex> lock(mutex);
      while (true) {
        if (queue.empty()) {
          if (stopping) return;
          wake_writer.wait(lock);
          continue;
        }
        if (stopping || flush_requested || queued_rows >= options.flush_rows) break;
        const auto deadline = first_pending + options.flush_interval;
        if (std::chrono::steady_clock::now() >= deadline) break;
        wake_writer.wait_until(lock, deadline);
      }
      batch.swap(queue);
      queued_rows = 0;
      flush_requested = false;
      const uint64_t upto = enqueued;
      const bool failed = !error.empty();
      room.notify_all();
      lock.unlock();

      std::string failure;
      std::map<int64_t, int64_t> advanced;
      if (!failed) {  // after a failure the events are refused, not written half
        try {
          retry_while_busy([&] { write(batch, advanced); });
        } catch (const std::exception& exception) {
          failure = exception.what();
        }
      }
      batch.clear();

      lock.lock();
      if (!failure.empty() && error.empty()) error = failure;
      committed = upto;
      committed_cv.notify_all();
      room.notify_all();
      lock.unlock();
      if (failure.empty() && options.on_committed) {
        for (const auto& [run, step] : advanced) options.on_committed(run, step);
      }
    }
  }

  // Runs `attempt` (one whole transaction) again with growing pauses while another
  // connection holds the store, for up to options.busy_retry in all; then throws
  // StoreError saying how long the store stayed locked.
  template <typename Attempt>
  void retry_while_busy(Attempt&& attempt) {
    const auto start = std::chrono::steady_clock::now();
    std::chrono::milliseconds pause{20};
    while (true) {
      try {
        attempt();
        return;
      } catch (const StoreBusyError& busy) {
        const auto waited = std::chrono::steady_clock::now() - start;
        if (waited >= options.busy_retry) {
          const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(waited).count();
          throw StoreError(std::string(busy.what()) + " (the store stayed locked by another " +
                           "connection for " + std::to_string(seconds) + " s; recording gave up)");
        }
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(options.busy_retry - waited);
        std::this_thread::sleep_for(std::min(pause, left));
        pause = std::min(pause * 2, std::chrono::milliseconds(1000));
      }
    }
  }

  // After the writer failed: ends the run "failed" with `reason` directly (the queue
  // refuses events then), so that the run never reads as a crash. Best effort: when
  // even this cannot be written, the run is found without a writer and marked
  // interrupted by the next open.
  void end_failed_run(const std::string& reason) {
    std::lock_guard<std::mutex> db_lock(db_mutex);
    const auto write_end = [&] {
      retry_while_busy([&] {
        detail::Transaction transaction(store.handle(), store.path());
        end_run->bind_int64(1, run_id.load()).bind_text(2, run_status_name(RunStatus::kFailed));
        end_run->bind_text(3, detail::utc_now()).bind_text(4, reason);
        end_run->bind_int64(5, std::max<int64_t>(committed_step.load(), 0)).run();
        transaction.commit();
      });
    };
    try {
      try {
        write_end();
      } catch (const StoreError&) {
        // A full disk: the write-ahead log, copied into the database file and cut to
        // nothing, leaves room for this one row (its pages are written over from the
        // start of the log).
        sqlite3_wal_checkpoint_v2(store.handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr,
                                  nullptr);
        write_end();
      }
    } catch (const std::exception& error) {
      std::fprintf(stderr, "%s: run %lld: cannot record its failure (%s): %s\n",
                   store.path().c_str(), static_cast<long long>(run_id.load()), reason.c_str(),
                   error.what());
    }
  }

  // One transaction for the whole batch; every event is written whole.
  void write(const std::deque<Item>& batch, std::map<int64_t, int64_t>& advanced) {
    std::lock_guard<std::mutex> db_lock(db_mutex);
    try {
      detail::Transaction transaction(store.handle(), store.path());
      for (const Item& item : batch) {
        std::visit([&](const auto& event) { write_event(item.run_id, event, advanced); },
                   item.payload);
      }
      for (const auto& [run, step] : advanced) {
        advance_run->bind_int64(1, run).bind_int64(2, step).run();
      }
      transaction.commit();
    } catch (...) {  // rolled back: nothing of the batch advanced
      advanced.clear();
      throw;
    }
    for (const auto& [run, step] : advanced) {
      if (run == run_id.load()) committed_step.store(std::max(committed_step.load(), step));
    }
  }

  static void note_step(std::map<int64_t, int64_t>& advanced, int64_t run, int64_t step) {
    auto found = advanced.find(run);
    if (found == advanced.end()) {
      advanced.emplace(run, step);
    } else {
      found->second = std::max(found->second, step);
    }
  }

  void write_event(int64_t run, const StepMetrics& event, std::map<int64_t, int64_t>& advanced) {
    for (const Metric& metric : event.metrics) {
      insert_metric->bind_int64(1, run).bind_text_static(2, metric.name);
      insert_metric->bind_text_static(3, metric.split);
      insert_metric->bind_int64(4, metric.task).bind_int64(5, event.step);
      insert_metric->bind_double(6, metric.value).bind_double(7, event.wall_time_s);
      insert_metric->run();
    }
    note_step(advanced, run, event.step);
  }

  void write_event(int64_t run, const EvalResult& event, std::map<int64_t, int64_t>&) {
    for (const TaskEvaluation& task : event.tasks) {
      insert_evaluation->bind_int64(1, run).bind_text(2, event.split).bind_int64(3, event.step);
      insert_evaluation->bind_int64(4, task.task).bind_double(5, task.loss);
      insert_evaluation->bind_double(6, task.exact_match).bind_double(7, task.accuracy);
      insert_evaluation->bind_int64(8, task.n_examples).bind_double(9, event.wall_time_s);
      insert_evaluation->run();
    }
  }

  void write_event(int64_t run, const RoutingSnapshot& event, std::map<int64_t, int64_t>&) {
    // Stage "few_shot" (after adaptation) has a table of its own: it is not a point of
    // the training's step axis.
    Statement& insert = event.stage == "few_shot" ? *insert_adapted_routing : *insert_routing;
    for (size_t index = 0; index < event.layers.size(); ++index) {
      const RoutingMatrix& layer = event.layers[index];
      insert.bind_int64(1, run).bind_int64(2, event.step);
      insert.bind_int64(3, static_cast<int64_t>(index)).bind_text(4, layer.layer);
      insert.bind_text(5, routing_kind_name(layer.kind));
      insert.bind_text(6, nlohmann::json(layer.shape).dump());
      insert.bind_blob(7, layer.values.data(), layer.values.size() * sizeof(float));
      insert.run();
    }
  }

  void write_event(int64_t run, const CheckpointSaved& event, std::map<int64_t, int64_t>&) {
    insert_checkpoint->bind_int64(1, run).bind_int64(2, event.step).bind_text(3, event.path);
    insert_checkpoint->run();
  }

  void write_event(int64_t run, const RunEnded& event, std::map<int64_t, int64_t>& advanced) {
    end_run->bind_int64(1, run).bind_text(2, run_status_name(event.status));
    end_run->bind_text(3, detail::utc_now()).bind_text(4, event.message);
    end_run->bind_int64(5, event.step).run();
    note_step(advanced, run, event.step);
  }

  int64_t start_run(const RunStarted& event) {
    std::lock_guard<std::mutex> db_lock(db_mutex);
    sqlite3* db = store.handle();
    const std::string& path = store.path();
    run_lock.reset();
    detail::Transaction transaction(db, path);
    Statement insert(db, path,
                     "INSERT INTO runs (name, status, method, last_step, created_at, config_json,"
                     " app_version, torch_version, device, seed, total_steps, start_step,"
                     " params_total, params_trainable, params_router, params_per_task)"
                     " VALUES (?1, 'running', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
                     " ?13, ?14, ?15)");
    insert.bind_text(1, event.name).bind_text(2, event.method).bind_int64(3, event.start_step);
    insert.bind_text(4, detail::utc_now()).bind_text(5, event.config_json);
    insert.bind_text(6, event.app_version).bind_text(7, event.torch_version);
    insert.bind_text(8, event.device).bind_int64(9, static_cast<int64_t>(event.seed));
    insert.bind_int64(10, event.total_steps).bind_int64(11, event.start_step);
    insert.bind_int64(12, event.parameters.total).bind_int64(13, event.parameters.trainable);
    insert.bind_int64(14, event.parameters.router).bind_int64(15, event.parameters.per_task);
    insert.run();
    const int64_t id = sqlite3_last_insert_rowid(db);
    Statement task_row(db, path,
                       "INSERT INTO tasks (run_id, task_index, name, family, skills_json, split)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    for (const TaskInfo& task : event.tasks) {
      task_row.bind_int64(1, id).bind_int64(2, task.index).bind_text(3, task.name);
      task_row.bind_text(4, task.family).bind_text(5, nlohmann::json(task.skills).dump());
      task_row.bind_text(6, task.split).run();
    }
    // Locked before the row becomes visible: nobody can see this run "running"
    // without a live writer.
    auto lock = std::make_unique<detail::RunLock>(path, id);
    transaction.commit();
    run_lock = std::move(lock);
    return id;
  }

  void close() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (closed) return;
      closed = true;
      stopping = true;
      wake_writer.notify_one();
    }
    writer.join();
    run_lock.reset();
  }

  Store store;  // the writer's own connection
  RecorderOptions options;

  std::mutex mutex;  // guards the queue and the counters below
  std::condition_variable wake_writer, room, committed_cv;
  std::deque<Item> queue;
  size_t queued_rows = 0;
  uint64_t enqueued = 0, committed = 0;
  bool flush_requested = false, stopping = false, closed = false;
  std::chrono::steady_clock::time_point first_pending;
  std::string error;
  std::string start_error;  // why the last on_run_started was not recorded

  std::mutex db_mutex;  // the connection: writer thread vs on_run_started
  std::unique_ptr<Statement> insert_metric, insert_evaluation, insert_routing,
      insert_adapted_routing, insert_checkpoint, advance_run, end_run;
  std::unique_ptr<detail::RunLock> run_lock;
  std::atomic<int64_t> run_id{0};
  std::atomic<int64_t> committed_step{-1};
  std::thread writer;
};

Recorder::Recorder(const std::string& database_path, RecorderOptions options)
    : impl_(std::make_unique<Impl>(database_path, std::move(options))) {}

Recorder::~Recorder() {
  try {
    impl_->close();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw
  }
}

void Recorder::on_run_started(const RunStarted& event) {
  impl_->flush();  // the previous run's events first
  int64_t id = 0;
  try {
    impl_->retry_while_busy([&] { id = impl_->start_run(event); });
  } catch (const StoreError& error) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->start_error = error.what();
    throw;
  }
  impl_->committed_step.store(-1);
  impl_->run_id.store(id);
}

std::string Recorder::failure() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->error.empty() ? impl_->start_error : impl_->error;
}

void Recorder::on_step(const StepMetrics& event) {
  impl_->enqueue({impl_->current_run("on_step"), event, std::max<size_t>(event.metrics.size(), 1)});
}

void Recorder::on_eval(const EvalResult& event) {
  impl_->enqueue({impl_->current_run("on_eval"), event, std::max<size_t>(event.tasks.size(), 1)});
}

void Recorder::on_routing(const RoutingSnapshot& event) {
  impl_->enqueue(
      {impl_->current_run("on_routing"), event, std::max<size_t>(event.layers.size(), 1)});
}

void Recorder::on_checkpoint(const CheckpointSaved& event) {
  impl_->enqueue({impl_->current_run("on_checkpoint"), event, 1});
}

void Recorder::on_run_ended(const RunEnded& event) {
  // A run that failed before it started (Experiment::run when the trainer cannot be
  // built) is reported by RunEnded alone: no run row exists, so there is nothing to end.
  if (impl_->run_id.load() == 0) return;
  try {
    impl_->enqueue({impl_->run_id.load(), event, 1});
    impl_->flush();
  } catch (const StoreError& error) {
    // Recording failed (the store stayed locked, the disk is full): the run ends
    // "failed" with the reason. The trainer already names it when it stopped on it.
    const std::string reason = event.status == RunStatus::kFailed && !event.message.empty()
                                   ? event.message
                                   : std::string("recording failed: ") + error.what();
    impl_->end_failed_run(reason);
  }
  std::lock_guard<std::mutex> db_lock(impl_->db_mutex);
  impl_->run_lock.reset();  // the run is no longer written
}

int64_t Recorder::run_id() const { return impl_->run_id.load(); }
int64_t Recorder::committed_step() const { return impl_->committed_step.load(); }
void Recorder::flush() { impl_->flush(); }
void Recorder::close() {
  impl_->flush();
  impl_->close();
}
const std::string& Recorder::path() const { return impl_->store.path(); }

}  // namespace tensorpoly::sessions
