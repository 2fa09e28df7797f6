// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/engine_controller.h"

#include <gtest/gtest.h>

#include <QElapsedTimer>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QTest>
#include <QTimer>
#include <algorithm>
#include <cstdio>

#include "studio_test_support.h"
#include "ui/experiment_form.h"
#include "ui/loss_plot_view.h"
#include "ui/main_window.h"
#include "ui/qcustomplot_include.h"
#include "ui/routing_heatmap_view.h"
#include "ui/run_browser.h"
#include "ui/run_controls.h"

namespace tensorpoly::ui {
namespace {

// The longest gap between two ticks of a 5 ms timer on the GUI thread: how long
// the event loop was kept from running (plus up to the 5 ms interval).
class EventLoopLatency {
 public:
  EventLoopLatency() {
    timer_.setTimerType(Qt::PreciseTimer);
    timer_.setInterval(5);
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
                     if (!message.isEmpty()) std::fprintf(stderr, "run ended: %s\n", message.toLocal8Bit().constData());
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
  EXPECT_EQ(window.runControls()->progressBar()->value(), window.runControls()->progressBar()->maximum());
  EXPECT_FALSE(window.routingHeatmap()->layers().isEmpty());
}

// Responsiveness: while a run streams events at the highest rate the engine
// produces (a routing snapshot and metrics every step, frequent evaluations), the
// GUI thread's event loop is never held up for long.
TEST(EngineController, TheWindowStaysResponsiveWhileARunStreams) {
  testing::ensureApplication();
  const QString database = testing::tempPath("latency.sqlite");
  MainWindow window(database);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  ExperimentConfig config = ExperimentForm::presetConfig("tiny");
  config.train.steps = 60;
  config.train.routing_every = 1;
  config.train.eval_every = 10;
  config.train.checkpoint_every = 0;
  window.experimentForm()->setConfig(config);
  ASSERT_TRUE(window.experimentForm()->isValid());

  int advanced = 0;
  QObject::connect(window.engine(), &EngineController::runAdvanced, [&](qint64, qint64) { ++advanced; });
  qint64 first_step_ns = -1;
  QElapsedTimer clock;
  clock.start();
  QObject::connect(window.engine(), &EngineController::progress, [&](qint64, qint64, double) {
    if (first_step_ns < 0) first_step_ns = clock.nsecsElapsed();
  });
  ASSERT_EQ(window.startRun(), QString());
  // Measure from the first training step (model building happens before it).
  while (first_step_ns < 0 && window.engine()->isRunning()) QTest::qWait(5);
  EventLoopLatency latency;
  ASSERT_TRUE(window.engine()->waitForFinished(600000));
  const double seconds = static_cast<double>(clock.nsecsElapsed() - first_step_ns) * 1e-9;
  std::printf("[ latency ] %d steps in %.2f s; %d merged store notifications; %d timer ticks; "
              "longest event-loop gap %.1f ms\n",
              static_cast<int>(config.train.steps), seconds, advanced, latency.ticks(), latency.maxGapMs());
  RecordProperty("max_event_loop_gap_ms", std::to_string(latency.maxGapMs()));
  EXPECT_GT(latency.ticks(), 0);
  // The budget is 50 ms; on a loaded shared CI box the scheduler alone can add more,
  // so the test fails only on a gross regression and the figure is reported above.
  EXPECT_LT(latency.maxGapMs(), 250.0);
  // Merged: far fewer notifications than committed steps would give unmerged.
  EXPECT_LE(advanced, static_cast<int>(config.train.steps));
}

}  // namespace
}  // namespace tensorpoly::ui
