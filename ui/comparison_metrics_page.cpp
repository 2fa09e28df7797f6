// The comparison's final-metrics tab.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/comparison_metrics_page.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace tensorpoly::ui {

namespace {

// Loss-like metrics are better when lower; accuracies and exact match when higher.
bool lowerIsBetter(const QString& metric) {
  return metric.contains(QStringLiteral("loss")) || metric.contains(QStringLiteral("perplexity"));
}

// An evaluation row's value of `name` ("loss", "exact_match", "accuracy"); NaN when the
// row has none.
double evaluationValue(const sessions::EvaluationRow& row, const QString& name) {
  if (name == QLatin1String("loss")) return row.loss;
  if (name == QLatin1String("exact_match") && row.exact_match >= 0) return row.exact_match;
  if (name == QLatin1String("accuracy") && row.accuracy >= 0) return row.accuracy;
  return std::nan("");
}

}  // namespace

ComparisonMetricsPage::ComparisonMetricsPage(QWidget* parent) : ComparisonPage(parent) {
  metric_combo_ = new QComboBox;
  table_ = new QTableWidget;
  table_->setObjectName(QStringLiteral("finalMetricTable"));
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->verticalHeader()->hide();
  problems_ = newProblemLabel(QStringLiteral("finalMetricProblems"));
  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel(tr("Final metric")));
  controls->addWidget(metric_combo_, 1);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(controls);
  layout->addWidget(problems_);
  layout->addWidget(table_, 1);
  layout->addWidget(
      new QLabel(tr("★ marks the best run of each row (lowest loss, highest accuracy).")));
  connect(metric_combo_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          &ComparisonMetricsPage::fillTable);
}

void ComparisonMetricsPage::clear() {
  store_ = nullptr;
  runs_.clear();
  table_->clear();
  table_->setRowCount(0);
  showProblems(problems_, {});
}

void ComparisonMetricsPage::setRuns(sessions::Store* store, const std::vector<ComparedRun>& runs) {
  store_ = store;
  runs_ = runs;
  fillMetricChoices();
  fillTable();
}

QString ComparisonMetricsPage::problems() const { return problems_->text(); }

// Every per-task metric any run has; exact match (else the loss) of "eval" first.
void ComparisonMetricsPage::fillMetricChoices() {
  const QSignalBlocker blocker(metric_combo_);
  metric_combo_->clear();
  std::set<QString> keys;
  for (const ComparedRun& run : runs_) {
    // A run whose metrics cannot be read offers none; fillTable() says why.
    readFromStore([&] {
      for (const sessions::MetricValue& value : store_->final_metrics(run.ref)) {
        if (value.key.task >= 0)
          keys.insert(QString::fromStdString(value.key.split + "/" + value.key.name));
      }
      for (const sessions::EvaluationRow& row : store_->final_evaluations(run.ref)) {
        const QString split = QString::fromStdString(row.split);
        keys.insert(split + QStringLiteral("/loss"));
        if (row.exact_match >= 0) keys.insert(split + QStringLiteral("/exact_match"));
        if (row.accuracy >= 0) keys.insert(split + QStringLiteral("/accuracy"));
      }
    });
  }
  for (const QString& key : keys) metric_combo_->addItem(key);
  for (const QString& preferred :
       {QStringLiteral("eval/exact_match"), QStringLiteral("eval/loss")}) {
    const int index = metric_combo_->findText(preferred);
    if (index >= 0) {
      metric_combo_->setCurrentIndex(index);
      break;
    }
  }
}

ComparisonMetricsPage::Rows ComparisonMetricsPage::collectRows(const QString& split,
                                                               const QString& name,
                                                               QStringList* problems) const {
  Rows rows;
  const auto cell = [&](const QString& task, size_t run) -> double& {
    if (!rows.values.count(task)) {
      rows.order.push_back(task);
      rows.values[task] = std::vector<double>(runs_.size(), std::nan(""));
    }
    return rows.values[task][run];
  };
  for (size_t i = 0; i < runs_.size(); ++i) {
    const ComparedRun& run = runs_[i];
    std::map<int, QString> names;
    for (const TaskInfo& task : run.tasks) names[task.index] = QString::fromStdString(task.name);
    const QString problem = readFromStore([&] {
      for (const sessions::MetricValue& value : store_->final_metrics(run.ref)) {
        if (value.key.task < 0 || QString::fromStdString(value.key.split) != split ||
            QString::fromStdString(value.key.name) != name) {
          continue;
        }
        const auto found = names.find(value.key.task);
        cell(found != names.end() ? found->second : QString::number(value.key.task), i) =
            value.value;
      }
      for (const sessions::EvaluationRow& row : store_->final_evaluations(run.ref)) {
        const double value = evaluationValue(row, name);
        if (QString::fromStdString(row.split) != split || std::isnan(value)) continue;
        cell(row.task_name.empty() ? names[row.task] : QString::fromStdString(row.task_name), i) =
            value;
      }
    });
    if (!problem.isEmpty()) *problems << tr("%1: %2").arg(run.label, problem);
  }
  // The mean over the tasks each run has.
  std::vector<double> mean(runs_.size(), 0.0);
  std::vector<int> counts(runs_.size(), 0);
  for (const auto& [task, values] : rows.values) {
    for (size_t i = 0; i < values.size(); ++i) {
      if (std::isnan(values[i])) continue;
      mean[i] += values[i];
      ++counts[i];
    }
  }
  for (size_t i = 0; i < mean.size(); ++i) mean[i] = counts[i] ? mean[i] / counts[i] : std::nan("");
  rows.order.push_back(tr("mean"));
  rows.values[tr("mean")] = mean;
  return rows;
}

void ComparisonMetricsPage::fillTable() {
  table_->clear();
  if (!store_ || metric_combo_->currentIndex() < 0) {
    table_->setRowCount(0);
    return;
  }
  const QString key = metric_combo_->currentText();
  const QString name = key.section(QLatin1Char('/'), 1);
  QStringList problems;
  const Rows rows = collectRows(key.section(QLatin1Char('/'), 0, 0), name, &problems);
  showProblems(problems_, problems);
  table_->setColumnCount(static_cast<int>(runs_.size()) + 1);
  QStringList headers{tr("Task")};
  for (const ComparedRun& run : runs_) headers << run.label;
  table_->setHorizontalHeaderLabels(headers);
  table_->setRowCount(static_cast<int>(rows.order.size()));
  for (int row = 0; row < static_cast<int>(rows.order.size()); ++row) {
    const QString& task = rows.order[static_cast<size_t>(row)];
    fillRow(row, task, rows.values.at(task), lowerIsBetter(name));
  }
  table_->resizeColumnsToContents();
}

void ComparisonMetricsPage::fillRow(int row, const QString& task, const std::vector<double>& values,
                                    bool lower) {
  double best =
      lower ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
  std::set<double> distinct;
  for (const double value : values) {
    if (std::isnan(value)) continue;
    best = lower ? std::min(best, value) : std::max(best, value);
    distinct.insert(value);
  }
  // A tie between every run marks nobody.
  if (distinct.size() < 2) best = std::nan("");
  table_->setItem(row, 0, new QTableWidgetItem(task));
  for (size_t i = 0; i < values.size(); ++i) {
    const double value = values[i];
    auto* item = new QTableWidgetItem;
    if (std::isnan(value)) {
      item->setText(QStringLiteral("—"));
    } else {
      const bool is_best = value == best && values.size() > 1;
      item->setText((is_best ? QStringLiteral("★ ") : QString()) + QString::number(value, 'g', 5));
      item->setData(Qt::UserRole, value);
      item->setData(Qt::UserRole + 1, is_best);
      if (is_best) {
        QFont font = item->font();
        font.setBold(true);
        item->setFont(font);
      }
    }
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    table_->setItem(row, static_cast<int>(i) + 1, item);
  }
}

QList<ExportTarget> ComparisonMetricsPage::exportTargets() const {
  return {ExportTarget{
      tr("Final metrics"), {QStringLiteral("csv")}, [table = table_](const QString& path) {
        return exportModelCsv(table->model(), path);
      }}};
}

}  // namespace tensorpoly::ui
