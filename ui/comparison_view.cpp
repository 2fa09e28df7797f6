// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/comparison_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSlider>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "ui/palette.h"
#include "ui/qcustomplot_include.h"
#include "ui/routing_heatmap_view.h"
#include "ui/skill_alignment.h"
#include "ui/task_selection.h"

namespace tensorpoly::ui {

namespace {

void flattenInto(const nlohmann::json& value, const std::string& prefix,
                 std::map<std::string, std::string>& out) {
  if (value.is_object() && !value.empty()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      flattenInto(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
    }
  } else if (value.is_array() && !value.empty()) {
    for (size_t i = 0; i < value.size(); ++i) {
      flattenInto(value[i], prefix + "[" + std::to_string(i) + "]", out);
    }
  } else {
    out[prefix] = value.dump();
  }
}

// Loss-like metrics are better when lower; accuracies and exact match when higher.
bool lowerIsBetter(const QString& metric) {
  return metric.contains(QStringLiteral("loss")) || metric.contains(QStringLiteral("perplexity"));
}

}  // namespace

std::map<std::string, std::string> flattenJson(const std::string& json_text) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& error) {
    throw std::invalid_argument(std::string("config JSON: ") + error.what());
  }
  std::map<std::string, std::string> flat;
  flattenInto(json, "", flat);
  return flat;
}

std::vector<ConfigDifference> diffConfigs(const std::vector<std::string>& json_texts) {
  std::vector<std::map<std::string, std::string>> flats;
  std::set<std::string> keys;
  for (const std::string& text : json_texts) {
    flats.push_back(flattenJson(text));
    for (const auto& [key, value] : flats.back()) keys.insert(key);
  }
  std::vector<ConfigDifference> differences;
  for (const std::string& key : keys) {
    ConfigDifference difference{key, {}};
    bool differs = false;
    for (const auto& flat : flats) {
      const auto found = flat.find(key);
      difference.values.push_back(found == flat.end() ? std::string() : found->second);
      differs =
          differs || difference.values.back() != difference.values.front() || found == flat.end();
    }
    if (differs) differences.push_back(std::move(difference));
  }
  return differences;
}

ComparisonView::ComparisonView(QWidget* parent) : QWidget(parent) {
  tabs_ = new QTabWidget(this);
  tabs_->setObjectName(QStringLiteral("comparisonTabs"));

  // Curves.
  auto* curves = new QWidget;
  auto* curve_controls = new QHBoxLayout;
  curve_task_combo_ = new QComboBox;
  curve_split_combo_ = new QComboBox;
  curve_split_combo_->addItems({QStringLiteral("train"), QStringLiteral("eval")});
  curve_controls->addWidget(new QLabel(tr("Loss of")));
  curve_controls->addWidget(curve_task_combo_, 1);
  curve_controls->addWidget(new QLabel(tr("split")));
  curve_controls->addWidget(curve_split_combo_);
  curve_plot_ = new QCustomPlot;
  curve_plot_->setObjectName(QStringLiteral("comparisonCurves"));
  curve_plot_->legend->setVisible(true);
  curve_plot_->xAxis->setLabel(tr("step"));
  curve_plot_->yAxis->setLabel(tr("loss"));
  curve_plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  auto* curve_layout = new QVBoxLayout(curves);
  curve_layout->addLayout(curve_controls);
  curve_layout->addWidget(curve_plot_, 1);
  tabs_->addTab(curves, tr("Curves"));

  // Config diff.
  auto* config = new QWidget;
  config_summary_ = new QLabel;
  config_table_ = new QTableWidget;
  config_table_->setObjectName(QStringLiteral("configDiffTable"));
  config_table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  config_table_->horizontalHeader()->setStretchLastSection(true);
  config_table_->verticalHeader()->hide();
  auto* config_layout = new QVBoxLayout(config);
  config_layout->addWidget(config_summary_);
  config_layout->addWidget(config_table_, 1);
  tabs_->addTab(config, tr("Config diff"));

  // Final metrics.
  auto* metrics = new QWidget;
  metric_combo_ = new QComboBox;
  metric_table_ = new QTableWidget;
  metric_table_->setObjectName(QStringLiteral("finalMetricTable"));
  metric_table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  metric_table_->verticalHeader()->hide();
  auto* metric_controls = new QHBoxLayout;
  metric_controls->addWidget(new QLabel(tr("Final metric")));
  metric_controls->addWidget(metric_combo_, 1);
  auto* metric_layout = new QVBoxLayout(metrics);
  metric_layout->addLayout(metric_controls);
  metric_layout->addWidget(metric_table_, 1);
  metric_layout->addWidget(
      new QLabel(tr("★ marks the best run of each row (lowest loss, highest accuracy).")));
  tabs_->addTab(metrics, tr("Final metrics"));

  // Routing side by side.
  auto* routing = new QWidget;
  layer_combo_ = new QComboBox;
  layer_combo_->setObjectName(QStringLiteral("comparisonLayer"));
  step_slider_ = new QSlider(Qt::Horizontal);
  step_slider_->setObjectName(QStringLiteral("comparisonStep"));
  step_label_ = new QLabel;
  align_check_ = new QCheckBox(tr("Align skills"));
  align_check_->setObjectName(QStringLiteral("alignSkills"));
  align_check_->setToolTip(
      tr("Match each run's skills to the first run's (Hungarian method on routing "
         "similarity); off: the raw skill order"));
  align_check_->setChecked(true);
  align_label_ = new QLabel;
  align_label_->setWordWrap(true);
  auto* routing_controls = new QHBoxLayout;
  routing_controls->addWidget(new QLabel(tr("Layer")));
  routing_controls->addWidget(layer_combo_, 2);
  routing_controls->addWidget(new QLabel(tr("Step")));
  routing_controls->addWidget(step_slider_, 2);
  routing_controls->addWidget(step_label_);
  routing_controls->addWidget(align_check_);
  heatmap_row_ = new QWidget;
  new QHBoxLayout(heatmap_row_);
  heatmap_row_->layout()->setContentsMargins(0, 0, 0, 0);
  auto* routing_layout = new QVBoxLayout(routing);
  routing_layout->addLayout(routing_controls);
  routing_layout->addWidget(align_label_);
  routing_layout->addWidget(heatmap_row_, 1);
  tabs_->addTab(routing, tr("Routing"));

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(tabs_);

  connect(curve_task_combo_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          &ComparisonView::fillCurves);
  connect(curve_split_combo_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          &ComparisonView::fillCurves);
  connect(metric_combo_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          &ComparisonView::fillMetricTable);
  connect(layer_combo_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int index) {
    if (!syncing_ && index >= 0) setLayer(layer_combo_->itemData(index).toString());
  });
  // Choosing a task for the curves highlights it everywhere; the mean clears the highlight.
  connect(curve_task_combo_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          [this](int index) {
            if (index >= 0) highlightTaskNamed(curve_task_combo_->itemData(index).toString());
          });
  connect(step_slider_, &QSlider::valueChanged, this, [this](int index) {
    if (syncing_ || index < 0 || index >= static_cast<int>(all_steps_.size())) return;
    setStep(all_steps_[static_cast<size_t>(index)]);
  });
  connect(align_check_, &QCheckBox::toggled, this, &ComparisonView::setAligned);
}

void ComparisonView::clear() {
  store_ = nullptr;
  highlighted_task_.clear();
  runs_.clear();
  differences_.clear();
  all_steps_.clear();
  shown_orders_.clear();
  step_ = -1;
  curve_plot_->clearGraphs();
  curve_plot_->replot();
  config_table_->clear();
  config_table_->setRowCount(0);
  metric_table_->clear();
  metric_table_->setRowCount(0);
  for (RoutingHeatmapView* view : heatmaps_) view->deleteLater();
  heatmaps_.clear();
}

QString ComparisonView::setRuns(sessions::Store* store, const std::vector<sessions::RunRef>& runs) {
  clear();
  if (!store || runs.size() < 2) return tr("Select two or more runs to compare.");
  store_ = store;
  std::vector<std::string> configs;
  try {
    for (const sessions::RunRef& ref : runs) {
      const sessions::RunDetails details = store->run_details(ref);
      RunData data;
      data.ref = ref;
      data.label = QStringLiteral("%1 %2").arg(
          ref.database == sessions::kMainDatabase
              ? QString::number(ref.id)
              : QString::fromStdString(ref.database) + QLatin1Char(':') + QString::number(ref.id),
          QString::fromStdString(details.summary.name));
      data.tasks = details.tasks;
      data.routing_steps = store->routing_steps(ref);
      runs_.push_back(std::move(data));
      configs.push_back(details.config_json.empty() ? std::string("{}") : details.config_json);
    }
    differences_ = diffConfigs(configs);
  } catch (const std::exception& error) {
    const QString message = QString::fromStdString(error.what());
    clear();
    return message;
  }
  fillConfigTable();

  // Curves: the mean and every task of any run (the first run's order, then the tasks
  // only later runs have), matched by name in each run; train losses and the splits
  // that were evaluated.
  {
    const QSignalBlocker task_blocker(curve_task_combo_);
    curve_task_combo_->clear();
    curve_task_combo_->addItem(tr("Mean over tasks"), QString());
    for (const RunData& run : runs_) {
      for (const TaskInfo& task : run.tasks) {
        const QString name = QString::fromStdString(task.name);
        if (curve_task_combo_->findData(name) < 0) curve_task_combo_->addItem(name, name);
      }
    }
    const QSignalBlocker split_blocker(curve_split_combo_);
    const QString split = curve_split_combo_->currentText();
    std::set<QString> evaluated = {QStringLiteral("eval")};
    try {
      for (const RunData& run : runs_) {
        for (const std::string& name : store->evaluation_splits(run.ref))
          evaluated.insert(QString::fromStdString(name));
      }
    } catch (const std::exception&) {
      // Without the list the usual "eval" split is still offered.
    }
    curve_split_combo_->clear();
    curve_split_combo_->addItem(QStringLiteral("train"));
    for (const QString& name : evaluated) {
      if (name != QLatin1String("train")) curve_split_combo_->addItem(name);
    }
    curve_split_combo_->setCurrentIndex(std::max(0, curve_split_combo_->findText(split)));
  }
  fillCurves();

  // Final metrics: every per-task metric any run has.
  {
    const QSignalBlocker blocker(metric_combo_);
    metric_combo_->clear();
    std::set<QString> keys;
    for (const RunData& run : runs_) {
      for (const sessions::MetricValue& value : store->final_metrics(run.ref)) {
        if (value.key.task >= 0)
          keys.insert(QString::fromStdString(value.key.split + "/" + value.key.name));
      }
      for (const sessions::EvaluationRow& row : store->final_evaluations(run.ref)) {
        const QString split = QString::fromStdString(row.split);
        keys.insert(split + QStringLiteral("/loss"));
        if (row.exact_match >= 0) keys.insert(split + QStringLiteral("/exact_match"));
        if (row.accuracy >= 0) keys.insert(split + QStringLiteral("/accuracy"));
      }
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
  fillMetricTable();

  // Routing: one heatmap per run, fed the same step.
  std::set<int64_t> steps;
  for (const RunData& run : runs_) steps.insert(run.routing_steps.begin(), run.routing_steps.end());
  all_steps_.assign(steps.begin(), steps.end());
  for (size_t i = 0; i < runs_.size(); ++i) {
    auto* view = new RoutingHeatmapView(heatmap_row_);
    view->setObjectName(QStringLiteral("comparisonHeatmap%1").arg(i));
    view->setToolTip(runs_[i].label);
    view->setTasks(taskLabels(runs_[i].tasks));
    auto* column = new QWidget(heatmap_row_);
    auto* column_layout = new QVBoxLayout(column);
    column_layout->setContentsMargins(0, 0, 0, 0);
    auto* title = new QLabel(QStringLiteral("<b>%1</b>").arg(runs_[i].label.toHtmlEscaped()));
    column_layout->addWidget(title);
    column_layout->addWidget(view, 1);
    heatmap_row_->layout()->addWidget(column);
    // One layer selector and one step slider (above) drive every panel.
    view->setEmbedded(true);
    connect(view, &QObject::destroyed, column, &QObject::deleteLater);
    connect(view, &RoutingHeatmapView::requestStep, this, [this](qint64 step) {
      if (!syncing_) setStep(step);
    });
    connect(view, &RoutingHeatmapView::layerChanged, this, [this](const QString& layer) {
      if (!syncing_) setLayer(layer);
    });
    connect(view, &RoutingHeatmapView::blockChanged, this, [this, view](int block) {
      if (syncing_) return;
      syncing_ = true;
      for (RoutingHeatmapView* other : heatmaps_)
        if (other != view) other->setBlock(block);
      syncing_ = false;
    });
    // Each panel highlights in its own run's task indices; the comparison maps by name.
    connect(view->selection(), &TaskSelection::highlightedTaskChanged, this, [this, i](int task) {
      if (syncing_highlight_ || i >= runs_.size()) return;
      const std::vector<TaskInfo>& tasks = runs_[i].tasks;
      const auto found = std::find_if(tasks.begin(), tasks.end(),
                                      [task](const TaskInfo& info) { return info.index == task; });
      highlightTaskNamed(found == tasks.end() ? QString() : QString::fromStdString(found->name));
    });
    heatmaps_.push_back(view);
  }
  {
    const QSignalBlocker blocker(step_slider_);
    step_slider_->setRange(0, std::max(0, static_cast<int>(all_steps_.size()) - 1));
    step_slider_->setValue(step_slider_->maximum());
  }
  layer_.clear();
  if (!all_steps_.empty()) setStep(all_steps_.back());
  // A task highlighted in the window before the comparison opened is highlighted here too.
  if (shared_selection_)
    highlightTaskNamed(shared_selection_->taskName(shared_selection_->highlightedTask()),
                       /*from_shared=*/true);
  return {};
}

void ComparisonView::setTaskSelection(TaskSelection* selection) {
  disconnect(shared_connection_);
  shared_selection_ = selection;
  if (!selection) return;
  shared_connection_ =
      connect(selection, &TaskSelection::highlightedTaskChanged, this, [this](int task) {
        if (!syncing_highlight_ && shared_selection_)
          highlightTaskNamed(shared_selection_->taskName(task), /*from_shared=*/true);
      });
  highlightTaskNamed(selection->taskName(selection->highlightedTask()), /*from_shared=*/true);
}

int ComparisonView::taskIndexIn(size_t run, const QString& name) const {
  if (name.isEmpty() || run >= runs_.size()) return -1;
  for (const TaskInfo& task : runs_[run].tasks)
    if (QString::fromStdString(task.name) == name) return task.index;
  return -1;
}

void ComparisonView::highlightTaskNamed(const QString& name, bool from_shared) {
  if (syncing_highlight_) return;
  syncing_highlight_ = true;
  highlighted_task_ = name;
  for (size_t i = 0; i < heatmaps_.size(); ++i)
    heatmaps_[i]->selection()->setHighlightedTask(taskIndexIn(i, name));
  // The curves show the highlighted task; no highlight (or a task no run has): the mean.
  const int curve = std::max(0, curve_task_combo_->findData(name));
  if (curve_task_combo_->count() > 0 && curve_task_combo_->currentIndex() != curve)
    curve_task_combo_->setCurrentIndex(curve);  // refills the curves
  // A highlight that came from the window's selection is not written back: the window's
  // tasks may be another run's, whose names the comparison's runs need not share.
  if (shared_selection_ && !from_shared)
    shared_selection_->setHighlightedTask(shared_selection_->indexOfTask(name));
  syncing_highlight_ = false;
}

void ComparisonView::fillConfigTable() {
  config_table_->clear();
  config_table_->setColumnCount(static_cast<int>(runs_.size()) + 1);
  QStringList headers{tr("Field")};
  for (const RunData& run : runs_) headers << run.label;
  config_table_->setHorizontalHeaderLabels(headers);
  config_table_->setRowCount(static_cast<int>(differences_.size()));
  for (int row = 0; row < static_cast<int>(differences_.size()); ++row) {
    const ConfigDifference& difference = differences_[static_cast<size_t>(row)];
    config_table_->setItem(row, 0, new QTableWidgetItem(QString::fromStdString(difference.key)));
    for (int column = 0; column < static_cast<int>(difference.values.size()); ++column) {
      const std::string& value = difference.values[static_cast<size_t>(column)];
      config_table_->setItem(
          row, column + 1,
          new QTableWidgetItem(value.empty() ? tr("(absent)") : QString::fromStdString(value)));
    }
  }
  config_table_->resizeColumnsToContents();
  config_summary_->setText(tr("%n field(s) differ; identical fields are not shown.", nullptr,
                              static_cast<int>(differences_.size())));
}

void ComparisonView::fillCurves() {
  curve_plot_->clearGraphs();
  if (!store_) return;
  const QString task_name = curve_task_combo_->currentData().toString();
  const std::string split = curve_split_combo_->currentText().toStdString();
  // Train losses are metric series; evaluations (per task, per evaluated step) are
  // rows of their own table.
  const bool evaluated = split != "train";
  for (size_t i = 0; i < runs_.size(); ++i) {
    const RunData& run = runs_[i];
    QVector<double> keys, values;
    const int task = task_name.isEmpty() ? -1 : taskIndexIn(i, task_name);
    try {
      if (evaluated) {
        // The mean is over the tasks evaluated at each step.
        std::map<int64_t, std::pair<double, int>> sums;
        for (const sessions::EvaluationRow& row : store_->evaluations(run.ref, split)) {
          if (!task_name.isEmpty() && row.task != task) continue;
          auto& [sum, count] = sums[row.step];
          sum += row.loss;
          ++count;
        }
        if (task_name.isEmpty() || task >= 0) {
          for (const auto& [step, sum_count] : sums) {
            keys << static_cast<double>(step);
            values << sum_count.first / sum_count.second;
          }
        }
      } else if (task_name.isEmpty()) {
        sessions::SeriesQuery query{"loss", split, -1, -1, 4000};
        auto series = store_->metric_series(run.ref, query);
        if (!series.empty() && !series.front().steps.empty()) {
          for (size_t p = 0; p < series.front().steps.size(); ++p) {
            keys << static_cast<double>(series.front().steps[p]);
            values << series.front().values[p];
          }
        } else {
          // No stored mean: average the per-task series step by step.
          sessions::SeriesQuery all{"loss", split, std::nullopt, -1, 0};
          std::map<int64_t, std::pair<double, int>> sums;
          for (const auto& task_series : store_->metric_series(run.ref, all)) {
            if (task_series.key.task < 0) continue;
            for (size_t p = 0; p < task_series.steps.size(); ++p) {
              auto& [sum, count] = sums[task_series.steps[p]];
              sum += task_series.values[p];
              ++count;
            }
          }
          for (const auto& [step, sum_count] : sums) {
            keys << static_cast<double>(step);
            values << sum_count.first / sum_count.second;
          }
        }
      } else if (task >= 0) {
        sessions::SeriesQuery query{"loss", split, task, -1, 4000};
        for (const auto& series : store_->metric_series(run.ref, query)) {
          for (size_t p = 0; p < series.steps.size(); ++p) {
            keys << static_cast<double>(series.steps[p]);
            values << series.values[p];
          }
        }
      }
    } catch (const std::exception&) {
      // A run without this series simply has no curve.
    }
    QCPGraph* graph = curve_plot_->addGraph();
    graph->setName(run.label);
    graph->setPen(QPen(categoricalColor(static_cast<int>(i)), 1.5));
    graph->setData(keys, values, true);
    if (evaluated) graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
  }
  curve_plot_->yAxis->setLabel(
      task_name.isEmpty() ? tr("mean %1 loss").arg(QString::fromStdString(split))
                          : tr("%1 loss of %2").arg(QString::fromStdString(split), task_name));
  curve_plot_->rescaleAxes();
  curve_plot_->replot(QCustomPlot::rpQueuedReplot);
}

void ComparisonView::fillMetricTable() {
  metric_table_->clear();
  if (!store_ || metric_combo_->currentIndex() < 0) {
    metric_table_->setRowCount(0);
    return;
  }
  const QString key = metric_combo_->currentText();
  const QString split = key.section(QLatin1Char('/'), 0, 0);
  const QString name = key.section(QLatin1Char('/'), 1);
  // task name -> value per run
  std::vector<QString> task_order;
  std::map<QString, std::vector<double>> values;
  const auto add_task = [&](const QString& task) {
    if (!values.count(task)) {
      task_order.push_back(task);
      values[task] = std::vector<double>(runs_.size(), std::nan(""));
    }
  };
  for (size_t i = 0; i < runs_.size(); ++i) {
    const RunData& run = runs_[i];
    std::map<int, QString> names;
    for (const TaskInfo& task : run.tasks) names[task.index] = QString::fromStdString(task.name);
    for (const sessions::MetricValue& value : store_->final_metrics(run.ref)) {
      if (value.key.task < 0 || QString::fromStdString(value.key.split) != split ||
          QString::fromStdString(value.key.name) != name) {
        continue;
      }
      const QString task =
          names.count(value.key.task) ? names[value.key.task] : QString::number(value.key.task);
      add_task(task);
      values[task][i] = value.value;
    }
    for (const sessions::EvaluationRow& row : store_->final_evaluations(run.ref)) {
      if (QString::fromStdString(row.split) != split) continue;
      double value = std::nan("");
      if (name == QLatin1String("loss")) value = row.loss;
      if (name == QLatin1String("exact_match") && row.exact_match >= 0) value = row.exact_match;
      if (name == QLatin1String("accuracy") && row.accuracy >= 0) value = row.accuracy;
      if (std::isnan(value)) continue;
      const QString task =
          row.task_name.empty() ? names[row.task] : QString::fromStdString(row.task_name);
      add_task(task);
      values[task][i] = value;
    }
  }
  // The mean over the tasks each run has.
  std::vector<double> mean(runs_.size(), 0.0);
  std::vector<int> counts(runs_.size(), 0);
  for (const auto& [task, row] : values) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (!std::isnan(row[i])) {
        mean[i] += row[i];
        ++counts[i];
      }
    }
  }
  for (size_t i = 0; i < mean.size(); ++i) mean[i] = counts[i] ? mean[i] / counts[i] : std::nan("");
  task_order.push_back(tr("mean"));
  values[tr("mean")] = mean;

  metric_table_->setColumnCount(static_cast<int>(runs_.size()) + 1);
  QStringList headers{tr("Task")};
  for (const RunData& run : runs_) headers << run.label;
  metric_table_->setHorizontalHeaderLabels(headers);
  metric_table_->setRowCount(static_cast<int>(task_order.size()));
  const bool lower = lowerIsBetter(name);
  for (int row = 0; row < static_cast<int>(task_order.size()); ++row) {
    const std::vector<double>& row_values = values[task_order[static_cast<size_t>(row)]];
    double best = lower ? INFINITY : -INFINITY;
    std::set<double> distinct;
    for (const double v : row_values) {
      if (std::isnan(v)) continue;
      best = lower ? std::min(best, v) : std::max(best, v);
      distinct.insert(v);
    }
    // A tie between every run marks nobody.
    if (distinct.size() < 2) best = std::nan("");
    auto* task_item = new QTableWidgetItem(task_order[static_cast<size_t>(row)]);
    metric_table_->setItem(row, 0, task_item);
    for (size_t i = 0; i < row_values.size(); ++i) {
      const double v = row_values[i];
      auto* item = new QTableWidgetItem;
      if (std::isnan(v)) {
        item->setText(QStringLiteral("—"));
      } else {
        const bool is_best = v == best && row_values.size() > 1;
        item->setText((is_best ? QStringLiteral("★ ") : QString()) + QString::number(v, 'g', 5));
        item->setData(Qt::UserRole, v);
        item->setData(Qt::UserRole + 1, is_best);
        if (is_best) {
          QFont font = item->font();
          font.setBold(true);
          item->setFont(font);
        }
      }
      item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      metric_table_->setItem(row, static_cast<int>(i) + 1, item);
    }
  }
  metric_table_->resizeColumnsToContents();
}

void ComparisonView::setStep(int64_t step) {
  step_ = step;
  const auto found = std::lower_bound(all_steps_.begin(), all_steps_.end(), step);
  {
    const QSignalBlocker blocker(step_slider_);
    if (found != all_steps_.end())
      step_slider_->setValue(static_cast<int>(found - all_steps_.begin()));
  }
  step_label_->setText(QString::number(step));
  showRouting();
}

void ComparisonView::setLayer(const QString& layer) {
  layer_ = layer;
  {
    const QSignalBlocker blocker(layer_combo_);
    const int index = layer_combo_->findData(layer);
    if (index >= 0) layer_combo_->setCurrentIndex(index);
  }
  syncing_ = true;
  for (RoutingHeatmapView* view : heatmaps_) view->setLayer(layer);
  syncing_ = false;
  showRouting();
}

void ComparisonView::setAligned(bool aligned) {
  if (align_check_->isChecked() != aligned) {
    align_check_->setChecked(aligned);  // toggles back into here
    return;
  }
  showRouting();
}

QString ComparisonView::alignmentNote() const { return align_label_->text(); }

std::vector<int> ComparisonView::shownSkillOrder(int index) const {
  const auto found = shown_orders_.find(std::to_string(index) + "|" + layer_.toStdString());
  return found == shown_orders_.end() ? std::vector<int>{} : found->second;
}

void ComparisonView::showRouting() {
  if (!store_ || runs_.empty() || step_ < 0) return;
  shown_orders_.clear();
  std::vector<RoutingMatrix> reference;
  const auto task_names = [](const std::vector<TaskInfo>& tasks) {
    std::vector<std::string> names;
    for (const TaskInfo& task : tasks) {
      if (task.index < 0) continue;
      if (static_cast<size_t>(task.index) >= names.size())
        names.resize(static_cast<size_t>(task.index) + 1);
      names[static_cast<size_t>(task.index)] = task.name;
    }
    return names;
  };
  const std::vector<std::string> reference_tasks = task_names(runs_.front().tasks);
  QStringList notes;
  syncing_ = true;
  for (size_t i = 0; i < runs_.size() && i < heatmaps_.size(); ++i) {
    std::vector<RoutingMatrix> layers;
    try {
      layers = store_->routing_nearest(runs_[i].ref, step_).layers;
    } catch (const std::exception&) {
    }
    if (i == 0) reference = layers;
    // Skills are compared on the tasks both runs have, matched by name: the suites may
    // be listed in another order or only overlap.
    const std::vector<TaskPair> task_pairs =
        match_tasks_by_name(reference_tasks, task_names(runs_[i].tasks));
    double similarity = 0.0;
    int aligned_layers = 0;
    int64_t matched_tasks = 0;
    std::string reason;
    for (RoutingMatrix& layer : layers) {
      std::vector<int> order(static_cast<size_t>(layer.n_skills()));
      for (size_t s = 0; s < order.size(); ++s) order[s] = static_cast<int>(s);
      if (i > 0 && align_check_->isChecked()) {
        const auto match =
            std::find_if(reference.begin(), reference.end(),
                         [&](const RoutingMatrix& r) { return r.layer == layer.layer; });
        if (match != reference.end()) {
          const SkillAlignment alignment = align_skills(*match, layer, task_pairs);
          if (alignment.aligned) {
            order = alignment.other_skill;
            similarity += alignment.total_similarity / std::max<int64_t>(1, match->n_skills());
            ++aligned_layers;
            matched_tasks = alignment.matched_tasks;
            layer = reorder_skills(layer, order);
          } else if (reason.empty()) {
            reason = alignment.reason;
          }
        } else if (reason.empty()) {
          reason = "the first run has no layer " + layer.layer;
        }
      }
      shown_orders_[std::to_string(i) + "|" + layer.layer] = order;
    }
    if (i > 0 && align_check_->isChecked()) {
      if (aligned_layers > 0) {
        notes << tr("%1: skills aligned on %2 of %3 task(s) matched by name, in %4 layer(s); "
                    "mean cosine similarity %5")
                     .arg(runs_[i].label)
                     .arg(matched_tasks)
                     .arg(runs_[i].tasks.size())
                     .arg(aligned_layers)
                     .arg(similarity / aligned_layers, 0, 'f', 3);
      } else {
        notes << tr("%1: not aligned with the first run (%2); raw skill order")
                     .arg(runs_[i].label, reason.empty() ? tr("no routing at this step")
                                                         : QString::fromStdString(reason));
      }
    }
    RoutingHeatmapView* view = heatmaps_[i];
    view->setSnapshots({step_});
    view->setRouting(step_, layers);
    view->setCurrentStep(step_);
    view->setLayer(layer_);
  }
  syncing_ = false;
  align_label_->setText(align_check_->isChecked() ? notes.join(QLatin1Char('\n'))
                                                  : tr("Raw skill order of each run."));
  // The layer list of the first run ("" = the mean over layers).
  if (!heatmaps_.empty()) {
    const QStringList layers = heatmaps_.front()->layers();
    const QSignalBlocker blocker(layer_combo_);
    if (layer_combo_->count() != layers.size() + 1) {
      layer_combo_->clear();
      layer_combo_->addItem(tr("Mean over layers"), QString());
      for (const QString& layer : layers) layer_combo_->addItem(layer, layer);
    }
    const int index = layer_combo_->findData(layer_);
    layer_combo_->setCurrentIndex(std::max(0, index));
  }
}

QList<ExportTarget> ComparisonView::exportTargets() const {
  QList<ExportTarget> targets;
  switch (tabs_->currentIndex()) {
    case 0:
      targets << ExportTarget{
          tr("Comparison curves"),
          {QStringLiteral("png"), QStringLiteral("pdf")},
          [plot = curve_plot_](const QString& path) { return exportPlot(plot, path); }};
      break;
    case 1:
      targets << ExportTarget{
          tr("Config diff"), {QStringLiteral("csv")}, [table = config_table_](const QString& path) {
            return exportModelCsv(table->model(), path);
          }};
      break;
    case 2:
      targets << ExportTarget{tr("Final metrics"),
                              {QStringLiteral("csv")},
                              [table = metric_table_](const QString& path) {
                                return exportModelCsv(table->model(), path);
                              }};
      break;
    default:
      for (size_t i = 0; i < heatmaps_.size(); ++i) {
        RoutingHeatmapView* view = heatmaps_[i];
        targets << ExportTarget{
            tr("Heatmap of %1").arg(runs_[i].label),
            {QStringLiteral("png"), QStringLiteral("pdf"), QStringLiteral("csv")},
            [view](const QString& path) { return view->exportTo(path); }};
      }
  }
  return targets;
}

}  // namespace tensorpoly::ui
