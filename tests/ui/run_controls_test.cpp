// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/run_controls.h"

#include <gtest/gtest.h>

#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QTest>
#include <cmath>
#include <limits>

#include "ui/ui_test_support.h"

namespace tensorpoly::ui {
namespace {

TEST(RunControls, FormatsDurationsAsHoursMinutesSeconds) {
  EXPECT_EQ(RunControls::formatDuration(0.0), QStringLiteral("0:00"));
  EXPECT_EQ(RunControls::formatDuration(0.4), QStringLiteral("0:00"));
  EXPECT_EQ(RunControls::formatDuration(59.6), QStringLiteral("1:00"));  // rounded
  EXPECT_EQ(RunControls::formatDuration(61.0), QStringLiteral("1:01"));
  EXPECT_EQ(RunControls::formatDuration(3599.0), QStringLiteral("59:59"));
  EXPECT_EQ(RunControls::formatDuration(3723.0), QStringLiteral("1:02:03"));
  EXPECT_EQ(RunControls::formatDuration(36000.0 + 5.0), QStringLiteral("10:00:05"));
  // Unknown: nothing measured yet, or a rate of zero.
  EXPECT_EQ(RunControls::formatDuration(-1.0), QStringLiteral("—"));
  EXPECT_EQ(RunControls::formatDuration(std::numeric_limits<double>::infinity()),
            QStringLiteral("—"));
  EXPECT_EQ(RunControls::formatDuration(std::nan("")), QStringLiteral("—"));
}

// The progress bar, steps/s (measured over the GUI's own clock) and the ETA they give.
TEST(RunControls, ShowsTheStepStepsPerSecondAndEta) {
  testing::ensureApplication();
  RunControls controls;
  controls.setRunnable(true);
  auto* step_label = controls.findChild<QLabel*>("stepLabel");
  auto* rate_label = controls.findChild<QLabel*>("rateLabel");
  auto* eta_label = controls.findChild<QLabel*>("etaLabel");
  ASSERT_NE(step_label, nullptr);
  ASSERT_NE(rate_label, nullptr);
  ASSERT_NE(eta_label, nullptr);

  controls.onRunStarting();
  EXPECT_FALSE(controls.runButton()->isEnabled());
  EXPECT_EQ(controls.progressBar()->maximum(), 0);  // busy until the run has started
  controls.onRunStarted(7, 1000);
  EXPECT_EQ(controls.progressBar()->maximum(), 1000);
  controls.onProgress(100, 1000, 1.0);
  EXPECT_EQ(step_label->text(), QStringLiteral("Step 100 / 1000"));
  EXPECT_EQ(eta_label->text(), QStringLiteral("ETA —"));  // one report: no rate yet
  QElapsedTimer clock;
  clock.start();
  QTest::qWait(250);
  controls.onProgress(150, 1000, 2.0);
  const double elapsed = static_cast<double>(clock.nsecsElapsed()) * 1e-9;
  // 50 steps over the time between the two reports (at least the measured wait).
  const double rate = controls.stepsPerSecond();
  EXPECT_GT(rate, 50.0 / (elapsed + 0.05));
  EXPECT_LE(rate, 50.0 / 0.25 + 1e-9);
  EXPECT_EQ(controls.progressBar()->value(), 150);
  EXPECT_EQ(step_label->text(), QStringLiteral("Step 150 / 1000"));
  EXPECT_EQ(rate_label->text(), QStringLiteral("%1 steps/s").arg(rate, 0, 'f', rate < 10 ? 2 : 1));
  EXPECT_EQ(eta_label->text(), QStringLiteral("ETA ") + RunControls::formatDuration(850.0 / rate));
  EXPECT_TRUE(controls.pauseButton()->isEnabled());
  EXPECT_TRUE(controls.stopButton()->isEnabled());

  controls.onRunEnded(7, QStringLiteral("finished"), 1000, QString());
  EXPECT_EQ(controls.progressBar()->value(), 1000);
  EXPECT_EQ(eta_label->text(), QStringLiteral("ETA —"));
  EXPECT_EQ(controls.statusText(), QStringLiteral("Run 7 finished at step 1000"));
  EXPECT_TRUE(controls.runButton()->isEnabled());
  EXPECT_FALSE(controls.stopButton()->isEnabled());
}

}  // namespace
}  // namespace tensorpoly::ui
