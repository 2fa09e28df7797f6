// Helpers of the window-shell tests (main window, form, browser, comparison,
// engine controller): runs recorded through the real sessions Recorder.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QCoreApplication>
#include <QDir>
#include <QSettings>
#include <QTest>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "tensorpoly/config.h"
#include "tensorpoly/sessions/recorder.h"
#include "ui/ui_test_support.h"

namespace tensorpoly::ui::testing {

struct FakeRun {
  ExperimentConfig config;
  int n_tasks = 3;
  int n_skills = 4;
  int64_t steps = 20;
  double loss_offset = 0.0;
  // routing[task][skill] at the last snapshot; empty: a fixed pattern.
  std::vector<std::vector<float>> routing;
  std::string name = "fake";
};

// QSettings of the studio under test names in a temporary folder, so that a test
// never reads or writes the user's real settings; the names are restored after.
class ScopedTestSettings {
 public:
  ScopedTestSettings()
      : organization_(QCoreApplication::organizationName()),
        application_(QCoreApplication::applicationName()),
        folder_(tempPath("settings")) {
    QDir().mkpath(folder_);
    // Native is INI on Linux; both point at the folder for the rest of the process.
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, folder_);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, folder_);
    QCoreApplication::setOrganizationName(QStringLiteral("TensorPolyTests"));
    QCoreApplication::setApplicationName(QStringLiteral("studio-%1").arg(::getpid()));
  }
  ~ScopedTestSettings() {
    QCoreApplication::setOrganizationName(organization_);
    QCoreApplication::setApplicationName(application_);
  }
  ScopedTestSettings(const ScopedTestSettings&) = delete;
  ScopedTestSettings& operator=(const ScopedTestSettings&) = delete;
  QString folder() const { return folder_; }

 private:
  QString organization_, application_, folder_;
};

// Records a run with per-task and mean train losses, two evaluations and routing
// snapshots for one layer; returns its id.
inline int64_t recordRun(const QString& database, const FakeRun& run) {
  sessions::Recorder recorder(database.toStdString());
  RunStarted started;
  started.name = run.name;
  started.config_json = to_json_text(run.config);
  started.method = run.config.adapter.method;
  for (int task = 0; task < run.n_tasks; ++task) {
    TaskInfo info;
    info.index = task;
    info.name = "task_" + std::to_string(task);
    info.family = task % 2 == 0 ? "shift" : "upper";
    started.tasks.push_back(info);
  }
  started.device = "cpu";
  started.total_steps = run.steps;
  recorder.on_run_started(started);
  const auto routing_at = [&](int64_t step) {
    RoutingMatrix matrix;
    matrix.layer = "encoder.block.0.layer.0.SelfAttention.q";
    matrix.kind = RoutingKind::kSkills;
    matrix.shape = {run.n_tasks, run.n_skills};
    const double progress = static_cast<double>(step) / static_cast<double>(run.steps);
    for (int task = 0; task < run.n_tasks; ++task) {
      for (int skill = 0; skill < run.n_skills; ++skill) {
        const float target =
            run.routing.empty()
                ? (skill == task % run.n_skills ? 0.7f : 0.1f)
                : run.routing[static_cast<size_t>(task)][static_cast<size_t>(skill)];
        matrix.values.push_back(static_cast<float>(0.25 + (target - 0.25) * progress));
      }
    }
    return RoutingSnapshot{step, {matrix}};
  };
  for (int64_t step = 1; step <= run.steps; ++step) {
    StepMetrics metrics;
    metrics.step = step;
    metrics.wall_time_s = 0.05 * static_cast<double>(step);
    double mean = 0.0;
    for (int task = 0; task < run.n_tasks; ++task) {
      const double loss = run.loss_offset + 3.0 / std::sqrt(static_cast<double>(step)) + 0.1 * task;
      metrics.metrics.push_back({task, "train", "loss", loss});
      mean += loss / run.n_tasks;
    }
    metrics.metrics.push_back({-1, "train", "loss", mean});
    recorder.on_step(metrics);
    if (step % 5 == 0) recorder.on_routing(routing_at(step));
    if (step % 10 == 0) {
      EvalResult eval;
      eval.step = step;
      eval.wall_time_s = metrics.wall_time_s;
      for (int task = 0; task < run.n_tasks; ++task) {
        eval.tasks.push_back(
            {task, run.loss_offset + 2.0 / static_cast<double>(step) + 0.2 * task,
             0.5 + 0.01 * static_cast<double>(step) - run.loss_offset * 0.1 - 0.05 * task, -1.0,
             16});
      }
      recorder.on_eval(eval);
    }
  }
  recorder.on_run_ended({RunStatus::kFinished, run.steps, ""});
  const int64_t id = recorder.run_id();
  recorder.close();
  return id;
}

}  // namespace tensorpoly::ui::testing
