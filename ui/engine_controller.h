// EngineController: the one place that owns the engine thread.
//
// start() runs tensorpoly::Experiment::run on a std::thread with a FanOutSink of
// the sessions Recorder (the store is the single source of what the window
// shows) and a small sink that forwards progress to the GUI thread. The engine
// thread never touches a widget: it writes the latest values into atomics and
// posts at most one queued message at a time; the Recorder's commit callback
// does the same, and the GUI side merges bursts with a ~40 ms single-shot timer
// into one runAdvanced(run, step) ("run R advanced to step S"). Every message
// carries the generation of the run that sent it, so a late message of a
// finished run never updates the next one.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QObject>
#include <QString>
#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "tensorpoly/config.h"

class QTimer;

namespace tensorpoly {
class Experiment;
namespace sessions {
class Recorder;
}
}  // namespace tensorpoly

namespace tensorpoly::ui {

class EngineController : public QObject {
  Q_OBJECT

 public:
  // How long bursts of commit notifications are merged before runAdvanced.
  static constexpr int kMergeIntervalMs = 40;

  explicit EngineController(QObject* parent = nullptr);
  ~EngineController() override;  // stops a running experiment and joins its thread

  // Starts `config` recording into the store at `database_path`. Returns "" or
  // why it could not start (a run is already going, invalid config, store error).
  QString start(const ExperimentConfig& config, const QString& database_path);
  void pause();
  void resume();
  void stop();

  bool isRunning() const { return engine_thread_.joinable(); }
  bool isPaused() const;
  int64_t runId() const { return run_id_; }
  int64_t totalSteps() const { return total_steps_; }
  QString databasePath() const { return database_path_; }

  // Processes events until the current run has ended (tests, shutdown); false on timeout.
  bool waitForFinished(int timeout_ms);

 Q_SIGNALS:
  // The run row exists in the store (Recorder::on_run_started returned).
  void runStarted(qint64 run_id, qint64 total_steps, const QString& device);
  // The latest finished step, at most once per event-loop turn.
  void progress(qint64 step, qint64 total_steps, double wall_time_s);
  // A preparatory stage (base model pre-training, few-shot adaptation).
  void stageProgress(const QString& stage, qint64 step, qint64 total_steps, const QString& message);
  // New rows up to `last_step` are committed in the store (merged, ~40 ms).
  void runAdvanced(qint64 run_id, qint64 last_step);
  void pausedChanged(bool paused);
  // The run has ended and everything it produced is committed.
  void runEnded(qint64 run_id, const QString& status, qint64 step, const QString& message);

 private:
  class ForwardingSink;
  struct Shared;  // what the engine and writer threads write, read on the GUI thread

  // Called from the engine / writer threads: queue one message to the GUI thread.
  void postProgress(std::shared_ptr<Shared> shared, uint64_t generation);
  void postCommitted(std::shared_ptr<Shared> shared, uint64_t generation);
  void onRunStarted(uint64_t generation, qint64 run_id, qint64 total_steps, QString device);
  void onRunEnded(uint64_t generation, QString status, qint64 step, QString message);
  void emitAdvanced();
  void join();

  std::shared_ptr<Shared> shared_;
  std::unique_ptr<Experiment> experiment_;
  std::unique_ptr<sessions::Recorder> recorder_;
  std::unique_ptr<ForwardingSink> forwarding_sink_;
  std::thread engine_thread_;
  uint64_t generation_ = 0;
  int64_t run_id_ = 0;
  int64_t total_steps_ = 0;
  QString database_path_;
  QTimer* merge_timer_ = nullptr;
};

}  // namespace tensorpoly::ui
