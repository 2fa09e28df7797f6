// Run controls: Run, Pause/Resume, Stop, and a progress bar with the step,
// steps/s (over the last few seconds) and the estimated time to the end.
// The widget only shows state and asks; EngineController does the work.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QElapsedTimer>
#include <QWidget>
#include <cstdint>
#include <deque>
#include <utility>

class QLabel;
class QProgressBar;
class QPushButton;

namespace tensorpoly::ui {

class RunControls : public QWidget {
  Q_OBJECT

 public:
  explicit RunControls(QWidget* parent = nullptr);

  // Run is enabled only when the form is valid and nothing is running.
  void setRunnable(bool runnable, const QString& reason = {});

  QPushButton* runButton() const { return run_button_; }
  QPushButton* pauseButton() const { return pause_button_; }
  QPushButton* stopButton() const { return stop_button_; }
  QProgressBar* progressBar() const { return progress_bar_; }
  QString statusText() const;
  double stepsPerSecond() const { return steps_per_second_; }

  // "1:02:03", "4:05" or "—" for an unknown duration.
  static QString formatDuration(double seconds);

 public Q_SLOTS:
  void onRunStarting();
  void onRunStarted(qint64 run_id, qint64 total_steps);
  void onProgress(qint64 step, qint64 total_steps, double wall_time_s);
  void onStageProgress(const QString& stage, qint64 step, qint64 total_steps,
                       const QString& message);
  void onPausedChanged(bool paused);
  void onRunEnded(qint64 run_id, const QString& status, qint64 step, const QString& message);

 Q_SIGNALS:
  void runRequested();
  void pauseRequested();
  void resumeRequested();
  void stopRequested();

 private:
  void updateButtons();

  QPushButton* run_button_ = nullptr;
  QPushButton* pause_button_ = nullptr;
  QPushButton* stop_button_ = nullptr;
  QProgressBar* progress_bar_ = nullptr;
  QLabel* step_label_ = nullptr;
  QLabel* rate_label_ = nullptr;
  QLabel* eta_label_ = nullptr;
  QLabel* status_label_ = nullptr;
  bool runnable_ = false;
  bool running_ = false;
  bool paused_ = false;
  qint64 run_id_ = 0;
  double steps_per_second_ = 0.0;
  // (GUI time in seconds, step) of recent progress reports; the rate is taken over them.
  std::deque<std::pair<double, int64_t>> recent_;
  QElapsedTimer clock_;
};

}  // namespace tensorpoly::ui
