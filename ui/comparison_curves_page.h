// The comparison's curves tab: one loss curve per run, of the mean over tasks or of
// one task (matched by name in each run), for the train split (the stored metric
// series) or an evaluated split (the stored evaluations, one point per evaluated
// step). Runs of one study are drawn, by default, as one mean curve per method with its
// 95 % Student-t confidence band over the seeds (analysis::mean_curve).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QVector>
#include <vector>

#include "ui/comparison_page.h"

class QCheckBox;
class QComboBox;
class QCPGraph;
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
  // "Mean per method": enabled when every run belongs to one study.
  QCheckBox* meanCheck() const { return mean_check_; }
  // The graphs of one method's mean curve and band (lower, upper) in study mode.
  struct MethodGraphs {
    QString method;
    QCPGraph* mean = nullptr;
    QCPGraph* lower = nullptr;
    QCPGraph* upper = nullptr;
    int runs = 0;
  };
  const std::vector<MethodGraphs>& methodGraphs() const { return method_graphs_; }
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
  // Study mode: one mean curve and band per method; returns the problems met.
  QStringList fillMethodCurves(const QString& task_name, const std::string& split);
  Curve curveOf(const ComparedRun& run, const std::string& split, int task,
                size_t max_points) const;
  Curve evaluationCurve(const ComparedRun& run, const std::string& split, int task) const;
  Curve trainCurve(const ComparedRun& run, const std::string& split, int task,
                   size_t max_points) const;

  sessions::Store* store_ = nullptr;
  std::vector<ComparedRun> runs_;
  QCustomPlot* plot_ = nullptr;
  QComboBox* task_combo_ = nullptr;
  QComboBox* split_combo_ = nullptr;
  QCheckBox* mean_check_ = nullptr;
  QLabel* problems_ = nullptr;
  std::vector<MethodGraphs> method_graphs_;
};

}  // namespace tensorpoly::ui
