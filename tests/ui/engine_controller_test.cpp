// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/engine_controller.h"

#include <gtest/gtest.h>

#include <QElapsedTimer>
#include <QFileInfo>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QTest>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <fstream>

#include "studio_test_support.h"
#include "ui/cluster_view.h"
#include "ui/experiment_form.h"
#include "ui/loss_plot_view.h"
#include "ui/main_window.h"
#include "ui/qcustomplot_include.h"
#include "ui/routing_heatmap_view.h"
#include "ui/run_browser.h"
#include "ui/run_controls.h"

namespace tensorpoly::ui {
namespace {

// The longest gap between two ticks of a 1 ms timer on the GUI thread: how long
// the event loop was kept from running (plus up to the 1 ms interval). A 0 ms
// timer would do too, but it spins the GUI thread at 100% and so steals the core
// the engine thread needs on a small machine.
class EventLoopLatency {
 public:
  EventLoopLatency() {
    timer_.setTimerType(Qt::PreciseTimer);
    timer_.setInterval(1);
    QObject::connect(&timer_, &QTimer::timeout, [this] {
      const qint64 now = clock_.nsecsElapsed();
      max_gap_ns_ = std::max(max_gap_ns_, now - last_ns_);
      last_ns_ = now;
      ++ticks_;
    });
    clock_.start();
    last_ns_ = 0;
    timer_.start();
  }
  double maxGapMs() const { return static_cast<double>(max_gap_ns_) * 1e-6; }
  int ticks() const { return ticks_; }

 private:
  QTimer timer_;
  QElapsedTimer clock_;
  qint64 last_ns_ = 0;
  qint64 max_gap_ns_ = 0;
  int ticks_ = 0;
};

// The bound on the raw event-loop gap (see TheWindowStaysResponsiveAtTheHighestEventRate).
// Two pieces of GUI work under 50 ms each (a refresh, then a replot) may run back to
// back, and the OS may run other threads in between, so the raw gap gets twice the budget.
constexpr double kEventLoopGapBoundMs = 100.0;

// Processes events until `done()` or `timeout_ms`; returns done().
template <typename Predicate>
bool waitUntil(Predicate done, int timeout_ms) {
  QElapsedTimer clock;
  clock.start();
  while (!done() && clock.elapsed() < timeout_ms) QTest::qWait(5);
  return done();
}

// A tiny run long enough to be paused and stopped half-way: no evaluations or
// snapshots between its start and end, so its steps come quickly and evenly.
ExperimentConfig longTinyRun() {
  ExperimentConfig config = ExperimentForm::presetConfig("tiny");
  config.train.steps = 5000;
  config.train.eval_every = 0;
  config.train.routing_every = 0;
  config.train.checkpoint_every = 0;
  return config;
}

// The longest replot of a plot (QCustomPlot's own measurement), over all replots.
class ReplotWatch {
 public:
  explicit ReplotWatch(QCustomPlot* plot) {
    QObject::connect(plot, &QCustomPlot::afterReplot, [this, plot] {
      max_ms_ = std::max(max_ms_, plot->replotTime());
      ++count_;
    });
  }
  double maxMs() const { return max_ms_; }
  int count() const { return count_; }

 private:
  double max_ms_ = 0.0;
  int count_ = 0;
};

// Starting a short real run from the window: the engine thread trains the tiny
// preset, the Recorder stores it, and the views follow it through the store.
TEST(EngineController, ARunStartedFromTheWindowIsStoredAndDrawn) {
  testing::ensureApplication();
  const QString database = testing::tempPath("engine.sqlite");
  MainWindow window(database);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  ASSERT_EQ(window.experimentForm()->loadPreset("tiny"), QString());
  ASSERT_TRUE(window.experimentForm()->isValid());
  QPushButton* run = window.runControls()->runButton();
  ASSERT_TRUE(run->isEnabled());

  std::vector<qint64> advanced_steps;
  QObject::connect(window.engine(), &EngineController::runAdvanced,
                   [&](qint64, qint64 step) { advanced_steps.push_back(step); });
  QString ended_status;
  QObject::connect(window.engine(), &EngineController::runEnded,
                   [&](qint64, const QString& status, qint64, const QString& message) {
                     ended_status = status;
                     if (!message.isEmpty())
                       std::fprintf(stderr, "run ended: %s\n", message.toLocal8Bit().constData());
                   });
  QTest::mouseClick(run, Qt::LeftButton);
  EXPECT_TRUE(window.engine()->isRunning());
  EXPECT_FALSE(run->isEnabled());  // one run at a time
  ASSERT_TRUE(window.engine()->waitForFinished(600000));
  EXPECT_EQ(ended_status, "finished");
  EXPECT_TRUE(run->isEnabled());
  EXPECT_FALSE(advanced_steps.empty());
  EXPECT_TRUE(std::is_sorted(advanced_steps.begin(), advanced_steps.end()));

  // The store has the run and its rows.
  const int64_t run_id = window.engine()->runId();
  ASSERT_GT(run_id, 0);
  auto store = sessions::Store::open(database.toStdString(), sessions::OpenMode::kReadOnly);
  const auto summary = store.run_summary(sessions::RunRef(run_id));
  ASSERT_TRUE(summary.has_value());
  EXPECT_EQ(summary->status, "finished");
  EXPECT_EQ(summary->last_step, 6);
  const auto series = store.metric_series(sessions::RunRef(run_id), {"loss", "train"});
  ASSERT_FALSE(series.empty());
  EXPECT_EQ(series.front().key.task, -1);  // the mean loss, every step
  EXPECT_EQ(series.front().steps.size(), 6u);
  EXPECT_FALSE(store.routing_steps(sessions::RunRef(run_id)).empty());

  // The window points at it: listed, shown in the loss plot, full progress bar.
  EXPECT_EQ(window.shownRunId(), run_id);
  EXPECT_EQ(window.runTable()->item(0, RunBrowser::kId)->text().toLongLong(), run_id);
  QTest::qWait(100);  // the plot merges bursts with a short timer
  LossPlotView* plot = window.lossPlot();
  ASSERT_EQ(plot->taskCount(), 5);  // 4 training + 1 held-out task
  ASSERT_NE(plot->trainGraph(0), nullptr);
  // Task 0's points: the steps whose batch held an example of it.
  const auto task0 = std::find_if(series.begin(), series.end(),
                                  [](const sessions::MetricSeries& s) { return s.key.task == 0; });
  ASSERT_NE(task0, series.end());
  EXPECT_EQ(plot->trainGraph(0)->dataCount(), static_cast<int>(task0->steps.size()));
  EXPECT_EQ(window.runControls()->progressBar()->value(),
            window.runControls()->progressBar()->maximum());
  EXPECT_FALSE(window.routingHeatmap()->layers().isEmpty());
}

// Pause holds the engine between steps (the step stops moving, in the controls and
// in the store) and Resume carries on from there.
TEST(EngineController, PauseFreezesTheStepAndResumeContinues) {
  testing::ensureApplication();
  const QString database = testing::tempPath("pause.sqlite");
  MainWindow window(database);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  window.experimentForm()->setConfig(longTinyRun());
  qint64 last_step = -1;
  QObject::connect(window.engine(), &EngineController::progress,
                   [&](qint64 step, qint64, double) { last_step = step; });
  RunControls* controls = window.runControls();
  ASSERT_EQ(window.startRun(), QString());
  ASSERT_TRUE(waitUntil([&] { return last_step >= 3; }, 120000));

  QTest::mouseClick(controls->pauseButton(), Qt::LeftButton);
  EXPECT_TRUE(window.engine()->isPaused());
  EXPECT_EQ(controls->pauseButton()->text(), QStringLiteral("Resume"));
  EXPECT_EQ(window.action("actionPause")->text(), QStringLiteral("&Resume"));
  EXPECT_TRUE(controls->statusText().contains("paused")) << controls->statusText().toStdString();
  QTest::qWait(400);  // the step in flight finishes, then the engine waits
  const qint64 paused_at = last_step;
  QTest::qWait(1000);  // several steps' worth of time
  EXPECT_EQ(last_step, paused_at);
  EXPECT_TRUE(window.engine()->isRunning());
  {
    auto store = sessions::Store::open(database.toStdString(), sessions::OpenMode::kReadOnly);
    const auto summary = store.run_summary(sessions::RunRef(window.engine()->runId()));
    ASSERT_TRUE(summary.has_value());
    EXPECT_EQ(summary->status, "running");
    EXPECT_LE(summary->last_step, paused_at);
  }

  QTest::mouseClick(controls->pauseButton(), Qt::LeftButton);  // now "Resume"
  EXPECT_FALSE(window.engine()->isPaused());
  EXPECT_EQ(controls->pauseButton()->text(), QStringLiteral("Pause"));
  EXPECT_TRUE(waitUntil([&] { return last_step >= paused_at + 3; }, 120000))
      << "paused at " << paused_at << ", now " << last_step;
  window.engine()->stop();
  ASSERT_TRUE(window.engine()->waitForFinished(120000));
}

// Stop ends the run between steps: it is stored as "stopped" with the steps it
// finished, and the controls are ready for the next run.
// A malformed JSONL line is reported when Run is pressed, naming file:line and field, and
// nothing is recorded: the store gets no run row for a run that never started.
TEST(EngineController, MalformedJsonlIsRefusedAtStartWithFileLineAndNoRunRow) {
  testing::ensureApplication();
  const QString data = testing::tempPath("bad.jsonl");
  {
    std::ofstream out(data.toStdString());
    out << R"({"task": "copy", "input": "ab", "target": "ab"})"
        << "\n"
        << R"({"task": "copy", "input": 5, "target": "ab"})"
        << "\n";
  }
  const QString database = testing::tempPath("bad-jsonl.sqlite");
  EngineController controller;
  ExperimentConfig config = ExperimentForm::presetConfig("tiny");
  config.suite.kind = "jsonl";
  config.suite.jsonl.train_path = data.toStdString();
  config.suite.jsonl.validation_ratio = 0.5;
  config.few_shot.steps = 0;
  const QString error = controller.start(config, database);
  EXPECT_TRUE(error.contains(data + ":2: ")) << error.toStdString();
  EXPECT_TRUE(error.contains("field 'input'")) << error.toStdString();
  EXPECT_FALSE(controller.isRunning());
  if (QFileInfo::exists(database)) {
    auto store = sessions::Store::open(database.toStdString(), sessions::OpenMode::kReadOnly);
    EXPECT_TRUE(store.list_runs().empty());
  }
}

TEST(EngineController, StopEndsTheRunAsStoppedInTheStore) {
  testing::ensureApplication();
  const QString database = testing::tempPath("stop.sqlite");
  MainWindow window(database);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  const ExperimentConfig config = longTinyRun();
  window.experimentForm()->setConfig(config);
  qint64 last_step = -1;
  QObject::connect(window.engine(), &EngineController::progress,
                   [&](qint64 step, qint64, double) { last_step = step; });
  QString ended_status;
  qint64 ended_step = -1;
  QObject::connect(window.engine(), &EngineController::runEnded,
                   [&](qint64, const QString& status, qint64 step, const QString&) {
                     ended_status = status;
                     ended_step = step;
                   });
  RunControls* controls = window.runControls();
  ASSERT_EQ(window.startRun(), QString());
  ASSERT_TRUE(waitUntil([&] { return last_step >= 3; }, 120000));
  EXPECT_TRUE(controls->stopButton()->isEnabled());
  QTest::mouseClick(controls->stopButton(), Qt::LeftButton);
  ASSERT_TRUE(window.engine()->waitForFinished(120000));
  EXPECT_EQ(ended_status, QStringLiteral("stopped"));
  EXPECT_GE(ended_step, 3);
  EXPECT_LT(ended_step, config.train.steps);

  auto store = sessions::Store::open(database.toStdString(), sessions::OpenMode::kReadOnly);
  const auto summary = store.run_summary(sessions::RunRef(window.engine()->runId()));
  ASSERT_TRUE(summary.has_value());
  EXPECT_EQ(summary->status, "stopped");
  EXPECT_EQ(summary->last_step, ended_step);
  EXPECT_FALSE(summary->finished_at.empty());
  EXPECT_TRUE(controls->statusText().contains("stopped")) << controls->statusText().toStdString();
  EXPECT_FALSE(controls->stopButton()->isEnabled());
  EXPECT_FALSE(controls->pauseButton()->isEnabled());
  EXPECT_TRUE(controls->runButton()->isEnabled());
  EXPECT_EQ(window.runTable()->item(0, RunBrowser::kStatus)->text(), QStringLiteral("stopped"));
}

// Responsiveness at the highest event rate the engine's config allows: metrics, an
// evaluation of every task and a routing snapshot at every step, for 18 tasks, so
// each step adds dozens of rows and a snapshot to the store (and to what the views
// hold). Every piece of GUI-thread work the run causes — the window's refresh from
// the store after each commit notification, and each replot of the loss, routing
// and clustering plots — must stay under the issue's 50 ms budget. (Evaluating 18
// tasks with greedy decoding takes most of each step, so the run is kept short.)
TEST(EngineController, TheWindowStaysResponsiveAtTheHighestEventRate) {
  testing::ensureApplication();
  const QString database = testing::tempPath("latency.sqlite");
  MainWindow window(database);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  ExperimentConfig config = ExperimentForm::presetConfig("tiny");
  config.suite.synthetic.n_tasks = 18;
  config.suite.synthetic.n_heldout = 0;
  config.suite.synthetic.n_validation = 2;  // cheap evaluations: more steps (events) per second
  config.train.steps = 30;
  config.train.eval_every = 1;
  config.train.routing_every = 1;
  config.train.checkpoint_every = 0;
  window.experimentForm()->setConfig(config);
  ASSERT_TRUE(window.experimentForm()->isValid())
      << window.experimentForm()->problems().join("; ").toStdString();

  int advanced = 0;
  QObject::connect(window.engine(), &EngineController::runAdvanced,
                   [&](qint64, qint64) { ++advanced; });
  qint64 first_step_ns = -1;
  QElapsedTimer clock;
  clock.start();
  QObject::connect(window.engine(), &EngineController::progress, [&](qint64, qint64, double) {
    if (first_step_ns < 0) first_step_ns = clock.nsecsElapsed();
  });
  ReplotWatch loss_replots(window.lossPlot()->plot());
  ReplotWatch routing_replots(window.routingHeatmap()->plot());
  ReplotWatch cluster_replots(window.clusterView()->plot());
  ASSERT_EQ(window.startRun(), QString());
  // Measure from the first training step (model building happens before it).
  while (first_step_ns < 0 && window.engine()->isRunning()) QTest::qWait(5);
  window.resetRefreshStats();
  EventLoopLatency latency;
  ASSERT_TRUE(window.engine()->waitForFinished(600000));
  const double seconds = static_cast<double>(clock.nsecsElapsed() - first_step_ns) * 1e-9;
  const MainWindow::RefreshStats refresh = window.refreshStats();
  const double max_replot_ms =
      std::max({loss_replots.maxMs(), routing_replots.maxMs(), cluster_replots.maxMs()});

  // The store grew as configured: an evaluation of every task at every step.
  auto store = sessions::Store::open(database.toStdString(), sessions::OpenMode::kReadOnly);
  const sessions::RunRef run(window.engine()->runId());
  EXPECT_EQ(store.run_summary(run)->status, "finished");
  const size_t eval_rows = store.evaluations(run, "eval").size();
  EXPECT_GE(eval_rows, static_cast<size_t>(18 * config.train.steps));
  EXPECT_GE(store.routing_steps(run).size(), static_cast<size_t>(config.train.steps));

  std::printf(
      "[ latency ] %d steps of 18 tasks in %.2f s (%zu eval rows); %d merged store notifications; "
      "%d window refreshes, longest %.1f ms (mean %.1f ms); replots: loss %d (longest %.1f ms), "
      "routing %d (%.1f ms), clustering %d (%.1f ms); %d timer ticks, longest event-loop gap "
      "%.1f ms\n",
      static_cast<int>(config.train.steps), seconds, eval_rows, advanced, refresh.count,
      refresh.max_ms, refresh.count > 0 ? refresh.total_ms / refresh.count : 0.0,
      loss_replots.count(), loss_replots.maxMs(), routing_replots.count(), routing_replots.maxMs(),
      cluster_replots.count(), cluster_replots.maxMs(), latency.ticks(), latency.maxGapMs());
  RecordProperty("steps", std::to_string(config.train.steps));
  RecordProperty("max_refresh_ms", std::to_string(refresh.max_ms));
  RecordProperty("mean_refresh_ms",
                 std::to_string(refresh.count > 0 ? refresh.total_ms / refresh.count : 0.0));
  RecordProperty("max_replot_ms", std::to_string(max_replot_ms));
  RecordProperty("max_event_loop_gap_ms", std::to_string(latency.maxGapMs()));

  // The window followed the run live, not only at its end.
  EXPECT_GE(refresh.count, 10);
  EXPECT_GT(loss_replots.count(), 1);
  EXPECT_GT(latency.ticks(), 0);
  // The issue's budget, on what the GUI thread itself does.
  EXPECT_LT(refresh.max_ms, 50.0);
  EXPECT_LT(max_replot_ms, 50.0);
  // The raw gap also contains the time the OS scheduler gives the engine, writer and
  // other processes instead of the GUI thread; on a shared 2-core box that alone
  // reaches tens of ms, so the raw figure has a looser bound (reported above).
  EXPECT_LT(latency.maxGapMs(), kEventLoopGapBoundMs);
  // Merged: at most one notification per merge interval (plus the run's start and end).
  EXPECT_LE(advanced, static_cast<int>(seconds * 1000.0 / EngineController::kMergeIntervalMs) + 3);
}

}  // namespace
}  // namespace tensorpoly::ui
