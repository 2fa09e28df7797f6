// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/run_controls.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QStyle>
#include <cmath>

namespace tensorpoly::ui {

namespace {
// The rate is measured over this window, so a pause or a slow evaluation step
// shows quickly but a single fast step does not make the ETA jump.
constexpr double kRateWindowSeconds = 5.0;
}  // namespace

RunControls::RunControls(QWidget* parent) : QWidget(parent) {
  run_button_ = new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), tr("Run"), this);
  run_button_->setObjectName(QStringLiteral("runButton"));
  pause_button_ = new QPushButton(style()->standardIcon(QStyle::SP_MediaPause), tr("Pause"), this);
  pause_button_->setObjectName(QStringLiteral("pauseButton"));
  stop_button_ = new QPushButton(style()->standardIcon(QStyle::SP_MediaStop), tr("Stop"), this);
  stop_button_->setObjectName(QStringLiteral("stopButton"));
  progress_bar_ = new QProgressBar(this);
  progress_bar_->setObjectName(QStringLiteral("progressBar"));
  progress_bar_->setRange(0, 1);
  progress_bar_->setValue(0);
  progress_bar_->setFormat(QStringLiteral("%p%"));
  step_label_ = new QLabel(tr("Step —"), this);
  step_label_->setObjectName(QStringLiteral("stepLabel"));
  rate_label_ = new QLabel(tr("— steps/s"), this);
  rate_label_->setObjectName(QStringLiteral("rateLabel"));
  eta_label_ = new QLabel(tr("ETA —"), this);
  eta_label_->setObjectName(QStringLiteral("etaLabel"));
  status_label_ = new QLabel(tr("Idle"), this);
  status_label_->setObjectName(QStringLiteral("runStatusLabel"));
  status_label_->setWordWrap(true);

  auto* buttons = new QHBoxLayout;
  buttons->addWidget(run_button_);
  buttons->addWidget(pause_button_);
  buttons->addWidget(stop_button_);
  buttons->addStretch(1);
  auto* figures = new QHBoxLayout;
  figures->addWidget(step_label_);
  figures->addStretch(1);
  figures->addWidget(rate_label_);
  figures->addStretch(1);
  figures->addWidget(eta_label_);
  auto* layout = new QGridLayout(this);
  layout->addLayout(buttons, 0, 0);
  layout->addWidget(progress_bar_, 1, 0);
  layout->addLayout(figures, 2, 0);
  layout->addWidget(status_label_, 3, 0);
  layout->setRowStretch(4, 1);

  connect(run_button_, &QPushButton::clicked, this, &RunControls::runRequested);
  connect(pause_button_, &QPushButton::clicked, this, [this] {
    if (paused_) {
      Q_EMIT resumeRequested();
    } else {
      Q_EMIT pauseRequested();
    }
  });
  connect(stop_button_, &QPushButton::clicked, this, &RunControls::stopRequested);
  clock_.start();
  updateButtons();
}

void RunControls::setRunnable(bool runnable, const QString& reason) {
  runnable_ = runnable;
  run_button_->setToolTip(runnable ? tr("Start training (Ctrl+R)") : reason);
  updateButtons();
}

QString RunControls::statusText() const { return status_label_->text(); }

QString RunControls::formatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return QStringLiteral("—");
  const auto total = static_cast<qint64>(std::llround(seconds));
  const qint64 hours = total / 3600, minutes = (total / 60) % 60, secs = total % 60;
  if (hours > 0) {
    return QStringLiteral("%1:%2:%3")
        .arg(hours)
        .arg(minutes, 2, 10, QLatin1Char('0'))
        .arg(secs, 2, 10, QLatin1Char('0'));
  }
  return QStringLiteral("%1:%2").arg(minutes).arg(secs, 2, 10, QLatin1Char('0'));
}

void RunControls::onRunStarting() {
  running_ = true;
  paused_ = false;
  recent_.clear();
  steps_per_second_ = 0.0;
  progress_bar_->setRange(0, 0);  // busy until the first step
  step_label_->setText(tr("Step —"));
  rate_label_->setText(tr("— steps/s"));
  eta_label_->setText(tr("ETA —"));
  status_label_->setText(tr("Preparing the experiment…"));
  updateButtons();
}

void RunControls::onRunStarted(qint64 run_id, qint64 total_steps) {
  run_id_ = run_id;
  running_ = true;
  progress_bar_->setRange(0, static_cast<int>(std::max<qint64>(total_steps, 1)));
  progress_bar_->setValue(0);
  status_label_->setText(tr("Run %1: training").arg(run_id));
  updateButtons();
}

void RunControls::onProgress(qint64 step, qint64 total_steps, double /*wall_time_s*/) {
  if (progress_bar_->maximum() != total_steps && total_steps > 0) {
    progress_bar_->setRange(0, static_cast<int>(total_steps));
  }
  progress_bar_->setValue(static_cast<int>(std::min(step, total_steps)));
  step_label_->setText(tr("Step %1 / %2").arg(step).arg(total_steps));
  const double now = static_cast<double>(clock_.nsecsElapsed()) * 1e-9;
  recent_.emplace_back(now, step);
  while (recent_.size() > 2 && now - recent_.front().first > kRateWindowSeconds)
    recent_.pop_front();
  if (recent_.size() >= 2) {
    const double seconds = recent_.back().first - recent_.front().first;
    const auto steps = static_cast<double>(recent_.back().second - recent_.front().second);
    if (seconds > 0) steps_per_second_ = steps / seconds;
  }
  if (steps_per_second_ > 0) {
    rate_label_->setText(
        tr("%1 steps/s").arg(steps_per_second_, 0, 'f', steps_per_second_ < 10 ? 2 : 1));
    eta_label_->setText(tr("ETA %1").arg(
        formatDuration(static_cast<double>(total_steps - step) / steps_per_second_)));
  }
}

void RunControls::onStageProgress(const QString& stage, qint64 step, qint64 total_steps,
                                  const QString& message) {
  const QString what =
      stage == QLatin1String("base") ? tr("Preparing the base model") : tr("Stage %1").arg(stage);
  status_label_->setText(
      QStringLiteral("%1: %2 / %3 %4").arg(what).arg(step).arg(total_steps).arg(message));
  if (total_steps > 0 && progress_bar_->maximum() == 0) progress_bar_->setRange(0, 0);
}

void RunControls::onPausedChanged(bool paused) {
  paused_ = paused;
  recent_.clear();
  if (running_) {
    status_label_->setText(paused ? tr("Run %1: paused").arg(run_id_)
                                  : tr("Run %1: training").arg(run_id_));
  }
  updateButtons();
}

void RunControls::onRunEnded(qint64 run_id, const QString& status, qint64 step,
                             const QString& message) {
  running_ = false;
  paused_ = false;
  if (progress_bar_->maximum() == 0) progress_bar_->setRange(0, 1);
  if (status == QLatin1String("finished")) progress_bar_->setValue(progress_bar_->maximum());
  QString text = run_id > 0 ? tr("Run %1 %2 at step %3").arg(run_id).arg(status).arg(step)
                            : tr("Run %1 at step %2").arg(status).arg(step);
  if (!message.isEmpty()) text += QStringLiteral(": ") + message;
  status_label_->setText(text);
  eta_label_->setText(tr("ETA —"));
  updateButtons();
}

void RunControls::updateButtons() {
  run_button_->setEnabled(runnable_ && !running_);
  pause_button_->setEnabled(running_);
  pause_button_->setText(paused_ ? tr("Resume") : tr("Pause"));
  pause_button_->setIcon(
      style()->standardIcon(paused_ ? QStyle::SP_MediaPlay : QStyle::SP_MediaPause));
  stop_button_->setEnabled(running_);
}

}  // namespace tensorpoly::ui
