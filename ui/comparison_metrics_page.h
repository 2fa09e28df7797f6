// The comparison's final-metrics tab: for one chosen metric ("eval/exact_match",
// "eval/loss", ...), the last value of each task in each run, matched by task name,
// and the mean over the tasks each run has; the best run of each row is starred
// (lowest loss or perplexity, highest accuracy or exact match).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <map>
#include <vector>

#include "ui/comparison_page.h"

class QComboBox;
class QLabel;
class QTableWidget;

namespace tensorpoly::ui {

class ComparisonMetricsPage : public ComparisonPage {
  Q_OBJECT

 public:
  explicit ComparisonMetricsPage(QWidget* parent = nullptr);

  void setRuns(sessions::Store* store, const std::vector<ComparedRun>& runs) override;
  void clear() override;
  QList<ExportTarget> exportTargets() const override;

  QTableWidget* table() const { return table_; }
  QComboBox* metricCombo() const { return metric_combo_; }
  // "run: message" for each run whose final metrics could not be read.
  QString problems() const;

 private:
  // Task name -> the value in each run (NaN where a run lacks it), in first-seen order.
  struct Rows {
    std::vector<QString> order;
    std::map<QString, std::vector<double>> values;
  };
  void fillMetricChoices();
  Rows collectRows(const QString& split, const QString& name, QStringList* problems) const;
  void fillTable();
  void fillRow(int row, const QString& task, const std::vector<double>& values, bool lower);

  sessions::Store* store_ = nullptr;
  std::vector<ComparedRun> runs_;
  QComboBox* metric_combo_ = nullptr;
  QTableWidget* table_ = nullptr;
  QLabel* problems_ = nullptr;
};

}  // namespace tensorpoly::ui
