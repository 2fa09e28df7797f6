// The comparison's curves tab: one loss curve per run, of the mean over tasks or of
// one task (matched by name in each run), for the train split (the stored metric
// series) or an evaluated split (the stored evaluations, one point per evaluated
// step).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QVector>
#include <vector>

#include "ui/comparison_page.h"

class QComboBox;
class QCustomPlot;
class QLabel;

namespace tensorpoly::ui {

class ComparisonCurvesPage : public ComparisonPage {
  Q_OBJECT

 public:
  explicit ComparisonCurvesPage(QWidget* parent = nullptr);

  void setRuns(sessions::Store* store, const std::vector<ComparedRun>& runs) override;
  void clear() override;
  QList<ExportTarget> exportTargets() const override;

  // Shows the task called `name`; "" or a task no run has: the mean over tasks.
  void showTask(const QString& name);

  QCustomPlot* plot() const { return plot_; }
  QComboBox* taskCombo() const { return task_combo_; }
  QComboBox* splitCombo() const { return split_combo_; }
  // "run: message" for each run whose curve could not be read.
  QString problems() const;

 Q_SIGNALS:
  // The task chosen in the task selector ("" = the mean), by the user or showTask().
  void taskChosen(const QString& name);

 private:
  struct Curve {
    QVector<double> steps, values;
  };
  // Every QCustomPlot setting of the tab's plot, in one place.
  void setUpPlot();
  void fillTaskChoices();
  void fillSplitChoices();
  void fillCurves();
  Curve evaluationCurve(const ComparedRun& run, const std::string& split, int task) const;
  Curve trainCurve(const ComparedRun& run, const std::string& split, int task) const;

  sessions::Store* store_ = nullptr;
  std::vector<ComparedRun> runs_;
  QCustomPlot* plot_ = nullptr;
  QComboBox* task_combo_ = nullptr;
  QComboBox* split_combo_ = nullptr;
  QLabel* problems_ = nullptr;
};

}  // namespace tensorpoly::ui
