// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/engine_controller.h"

#include <QEventLoop>
#include <QMetaObject>
#include <QPointer>
#include <QTimer>
#include <mutex>

#include "tensorpoly/experiment.h"
#include "tensorpoly/sessions/recorder.h"

namespace tensorpoly::ui {

// Latest values written by the engine and writer threads. Each "posted" flag
// keeps at most one message of its kind in the GUI thread's queue: a fast engine
// overwrites the values instead of flooding the event loop.
struct EngineController::Shared {
  std::atomic<int64_t> step{-1};
  std::atomic<int64_t> total_steps{0};
  std::atomic<double> wall_time_s{0.0};
  std::atomic<bool> progress_posted{false};

  std::atomic<int64_t> committed_run{0};
  std::atomic<int64_t> committed_step{-1};
  std::atomic<bool> commit_posted{false};

  std::mutex stage_mutex;
  StageProgress stage;
  std::atomic<bool> stage_posted{false};
};

// Runs on the engine thread; copies what the GUI needs and posts a message.
class EngineController::ForwardingSink : public EventSink {
 public:
  ForwardingSink(EngineController* controller, std::shared_ptr<Shared> shared,
                 sessions::Recorder* recorder, uint64_t generation)
      : controller_(controller),
        shared_(std::move(shared)),
        recorder_(recorder),
        generation_(generation) {}

  void on_run_started(const RunStarted& event) override {
    shared_->total_steps = event.total_steps;
    const qint64 run_id = recorder_->run_id();
    const qint64 total = event.total_steps;
    const QString device = QString::fromStdString(event.device);
    const uint64_t generation = generation_;
    EngineController* controller = controller_;
    QMetaObject::invokeMethod(
        controller,
        [controller, generation, run_id, total, device] {
          controller->onRunStarted(generation, run_id, total, device);
        },
        Qt::QueuedConnection);
  }
  void on_step(const StepMetrics& event) override {
    shared_->step = event.step;
    shared_->wall_time_s = event.wall_time_s;
    if (!shared_->progress_posted.exchange(true)) controller_->postProgress(shared_, generation_);
  }
  void on_eval(const EvalResult&) override {}
  void on_routing(const RoutingSnapshot&) override {}
  void on_checkpoint(const CheckpointSaved&) override {}
  void on_run_ended(const RunEnded&) override {}  // reported once run() has returned
  void on_progress(const StageProgress& event) override {
    {
      const std::lock_guard<std::mutex> lock(shared_->stage_mutex);
      shared_->stage = event;
    }
    if (shared_->stage_posted.exchange(true)) return;
    std::shared_ptr<Shared> shared = shared_;
    const uint64_t generation = generation_;
    EngineController* controller = controller_;
    QMetaObject::invokeMethod(
        controller,
        [controller, shared, generation] {
          shared->stage_posted = false;
          StageProgress stage;
          {
            const std::lock_guard<std::mutex> lock(shared->stage_mutex);
            stage = shared->stage;
          }
          if (generation != controller->generation_) return;
          Q_EMIT controller->stageProgress(QString::fromStdString(stage.stage), stage.step,
                                           stage.total_steps,
                                           QString::fromStdString(stage.message));
        },
        Qt::QueuedConnection);
  }

 private:
  EngineController* controller_;
  std::shared_ptr<Shared> shared_;
  sessions::Recorder* recorder_;
  uint64_t generation_;
};

EngineController::EngineController(QObject* parent)
    : QObject(parent), shared_(std::make_shared<Shared>()) {
  merge_timer_ = new QTimer(this);
  merge_timer_->setSingleShot(true);
  merge_timer_->setInterval(kMergeIntervalMs);
  connect(merge_timer_, &QTimer::timeout, this, &EngineController::emitAdvanced);
}

EngineController::~EngineController() {
  if (experiment_) {
    experiment_->stop();
    experiment_->resume();
  }
  join();
}

QString EngineController::start(const ExperimentConfig& config, const QString& database_path) {
  if (isRunning()) return tr("A run is already in progress (run %1).").arg(run_id_);
  join();
  ++generation_;
  shared_ = std::make_shared<Shared>();
  run_id_ = 0;
  total_steps_ = config.train.steps;
  database_path_ = database_path;
  try {
    experiment_ = std::make_unique<Experiment>(config);
    // Device, suite and data files are read here, so a malformed JSONL line or an unusable
    // device comes back as the error beside the form (file:line: field) and no run row is
    // created; a synthetic suite takes milliseconds to build.
    experiment_->prepare();
    sessions::RecorderOptions options;
    std::weak_ptr<Shared> weak_shared = shared_;
    const uint64_t generation = generation_;
    // Called on the Recorder's writer thread after each commit.
    options.on_committed = [this, weak_shared, generation](int64_t run_id, int64_t last_step) {
      const std::shared_ptr<Shared> shared = weak_shared.lock();
      if (!shared) return;
      shared->committed_run = run_id;
      shared->committed_step = last_step;
      if (!shared->commit_posted.exchange(true)) postCommitted(shared, generation);
    };
    recorder_ = std::make_unique<sessions::Recorder>(database_path.toStdString(), options);
  } catch (const std::exception& error) {
    experiment_.reset();
    recorder_.reset();
    return QString::fromStdString(error.what());
  }
  forwarding_sink_ = std::make_unique<ForwardingSink>(this, shared_, recorder_.get(), generation_);
  Experiment* experiment = experiment_.get();
  sessions::Recorder* recorder = recorder_.get();
  ForwardingSink* forwarding = forwarding_sink_.get();
  const uint64_t generation = generation_;
  engine_thread_ = std::thread([this, experiment, recorder, forwarding, generation] {
    // The Recorder first: when the GUI hears of a step, its rows are queued for the store,
    // and RunEnded returns only once everything is committed.
    FanOutSink sink({recorder, forwarding});
    RunEnded ended;
    try {
      ended = experiment->run(sink);
    } catch (const std::exception& error) {
      ended.status = RunStatus::kFailed;
      ended.message = error.what();
    }
    try {
      recorder->close();
    } catch (const std::exception& error) {
      if (ended.message.empty()) ended.message = error.what();
    }
    const QString status = QString::fromUtf8(run_status_name(ended.status));
    const qint64 step = ended.step;
    const QString message = QString::fromStdString(ended.message);
    QMetaObject::invokeMethod(
        this,
        [this, generation, status, step, message] {
          onRunEnded(generation, status, step, message);
        },
        Qt::QueuedConnection);
  });
  return {};
}

void EngineController::pause() {
  if (!experiment_ || !isRunning()) return;
  experiment_->pause();
  Q_EMIT pausedChanged(true);
}

void EngineController::resume() {
  if (!experiment_ || !isRunning()) return;
  experiment_->resume();
  Q_EMIT pausedChanged(false);
}

void EngineController::stop() {
  if (!experiment_ || !isRunning()) return;
  experiment_->stop();
  // A paused run must wake up to see the stop request.
  if (experiment_->is_paused()) {
    experiment_->resume();
    Q_EMIT pausedChanged(false);
  }
}

bool EngineController::isPaused() const { return experiment_ && experiment_->is_paused(); }

bool EngineController::waitForFinished(int timeout_ms) {
  if (!isRunning()) return true;
  QEventLoop loop;
  const auto connection = connect(this, &EngineController::runEnded, &loop, &QEventLoop::quit);
  QTimer::singleShot(timeout_ms, &loop, &QEventLoop::quit);
  loop.exec();
  disconnect(connection);
  return !isRunning();
}

void EngineController::postProgress(std::shared_ptr<Shared> shared, uint64_t generation) {
  QMetaObject::invokeMethod(
      this,
      [this, shared, generation] {
        shared->progress_posted = false;
        if (generation != generation_) return;
        Q_EMIT progress(shared->step.load(), shared->total_steps.load(),
                        shared->wall_time_s.load());
      },
      Qt::QueuedConnection);
}

void EngineController::postCommitted(std::shared_ptr<Shared> shared, uint64_t generation) {
  QMetaObject::invokeMethod(
      this,
      [this, shared, generation] {
        shared->commit_posted = false;
        if (generation != generation_) return;
        if (!merge_timer_->isActive()) merge_timer_->start();
      },
      Qt::QueuedConnection);
}

void EngineController::emitAdvanced() {
  const int64_t run = shared_->committed_run.load();
  const int64_t step = shared_->committed_step.load();
  if (run > 0) Q_EMIT runAdvanced(run, step);
}

void EngineController::onRunStarted(uint64_t generation, qint64 run_id, qint64 total_steps,
                                    QString device) {
  if (generation != generation_) return;
  run_id_ = run_id;
  total_steps_ = total_steps;
  Q_EMIT runStarted(run_id, total_steps, device);
}

void EngineController::onRunEnded(uint64_t generation, QString status, qint64 step,
                                  QString message) {
  if (generation != generation_) return;
  join();
  merge_timer_->stop();
  emitAdvanced();
  Q_EMIT runEnded(run_id_, status, step, message);
}

void EngineController::join() {
  if (engine_thread_.joinable()) engine_thread_.join();
  forwarding_sink_.reset();
  recorder_.reset();
  experiment_.reset();
}

}  // namespace tensorpoly::ui
