// The comparison's curves tab.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/comparison_curves_page.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>
#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "tensorpoly/statistics.h"
#include "ui/palette.h"
#include "ui/qcustomplot_include.h"

namespace tensorpoly::ui {

namespace {

// Points at most per series read for the train split (the store keeps each bucket's
// minimum and maximum, so spikes survive).
constexpr size_t kMaxTrainPoints = 4000;

}  // namespace

ComparisonCurvesPage::ComparisonCurvesPage(QWidget* parent) : ComparisonPage(parent) {
  task_combo_ = new QComboBox;
  split_combo_ = new QComboBox;
  split_combo_->addItems({QStringLiteral("train"), QStringLiteral("eval")});
  mean_check_ = new QCheckBox(tr("Method means"));
  mean_check_->setObjectName(QStringLiteral("comparisonMeanPerMethod"));
  mean_check_->setToolTip(
      tr("Runs of one study: one curve per method, the mean over its seeds, "
         "with the 95 % Student-t confidence band (none below two seeds)"));
  mean_check_->setChecked(true);
  mean_check_->setEnabled(false);
  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel(tr("Loss of")));
  controls->addWidget(task_combo_, 1);
  controls->addWidget(new QLabel(tr("split")));
  controls->addWidget(split_combo_);
  controls->addWidget(mean_check_);
  setUpPlot();
  problems_ = newProblemLabel(QStringLiteral("comparisonCurveProblems"));
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(controls);
  layout->addWidget(problems_);
  layout->addWidget(plot_, 1);

  connect(split_combo_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          &ComparisonCurvesPage::fillCurves);
  connect(mean_check_, &QCheckBox::toggled, this, &ComparisonCurvesPage::fillCurves);
  connect(task_combo_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int index) {
    fillCurves();
    if (index >= 0) Q_EMIT taskChosen(task_combo_->itemData(index).toString());
  });
}

void ComparisonCurvesPage::setUpPlot() {
  plot_ = new QCustomPlot;
  plot_->setObjectName(QStringLiteral("comparisonCurves"));
  plot_->legend->setVisible(true);
  plot_->xAxis->setLabel(tr("step"));
  plot_->yAxis->setLabel(tr("loss"));
  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
}

void ComparisonCurvesPage::clear() {
  store_ = nullptr;
  runs_.clear();
  plot_->clearGraphs();
  plot_->replot();
  showProblems(problems_, {});
}

void ComparisonCurvesPage::setRuns(sessions::Store* store, const std::vector<ComparedRun>& runs) {
  store_ = store;
  runs_ = runs;
  mean_check_->setEnabled(!commonStudy(runs_).isEmpty());
  fillTaskChoices();
  fillSplitChoices();
  fillCurves();
}

QString ComparisonCurvesPage::problems() const { return problems_->text(); }

void ComparisonCurvesPage::showTask(const QString& name) {
  const int index = std::max(0, task_combo_->findData(name));
  if (task_combo_->count() > 0 && task_combo_->currentIndex() != index)
    task_combo_->setCurrentIndex(index);  // redraws
}

// The mean and every task of any run: the first run's order, then the tasks only later
// runs have.
void ComparisonCurvesPage::fillTaskChoices() {
  const QSignalBlocker blocker(task_combo_);
  task_combo_->clear();
  task_combo_->addItem(tr("Mean over tasks"), QString());
  for (const ComparedRun& run : runs_) {
    for (const TaskInfo& task : run.tasks) {
      const QString name = QString::fromStdString(task.name);
      if (task_combo_->findData(name) < 0) task_combo_->addItem(name, name);
    }
  }
}

// Train, then every split any run evaluated ("eval" is always offered).
void ComparisonCurvesPage::fillSplitChoices() {
  const QSignalBlocker blocker(split_combo_);
  const QString split = split_combo_->currentText();
  std::set<QString> evaluated = {QStringLiteral("eval")};
  for (const ComparedRun& run : runs_) {
    // A run whose splits cannot be read adds none; fillCurves() says why.
    readFromStore([&] {
      for (const std::string& name : store_->evaluation_splits(run.ref))
        evaluated.insert(QString::fromStdString(name));
    });
  }
  split_combo_->clear();
  split_combo_->addItem(QStringLiteral("train"));
  for (const QString& name : evaluated) {
    if (name != QLatin1String("train")) split_combo_->addItem(name);
  }
  split_combo_->setCurrentIndex(std::max(0, split_combo_->findText(split)));
}

// The mean (task -1) is over the tasks evaluated at each step.
ComparisonCurvesPage::Curve ComparisonCurvesPage::evaluationCurve(const ComparedRun& run,
                                                                  const std::string& split,
                                                                  int task) const {
  std::map<int64_t, std::pair<double, int>> sums;
  for (const sessions::EvaluationRow& row : store_->evaluations(run.ref, split)) {
    if (task >= 0 && row.task != task) continue;
    auto& [sum, count] = sums[row.step];
    sum += row.loss;
    ++count;
  }
  Curve curve;
  for (const auto& [step, sum_count] : sums) {
    curve.steps << static_cast<double>(step);
    curve.values << sum_count.first / sum_count.second;
  }
  return curve;
}

// The stored series of `task`; for the mean (task -1) the stored mean series, or
// without one the per-task series averaged step by step.
ComparisonCurvesPage::Curve ComparisonCurvesPage::trainCurve(const ComparedRun& run,
                                                             const std::string& split, int task,
                                                             size_t max_points) const {
  Curve curve;
  const sessions::SeriesQuery query{"loss", split, task, -1, max_points};
  const std::vector<sessions::MetricSeries> series = store_->metric_series(run.ref, query);
  if (task >= 0 || (!series.empty() && !series.front().steps.empty())) {
    for (const sessions::MetricSeries& one : series) {
      for (size_t p = 0; p < one.steps.size(); ++p) {
        curve.steps << static_cast<double>(one.steps[p]);
        curve.values << one.values[p];
      }
    }
    return curve;
  }
  const sessions::SeriesQuery every_task{"loss", split, std::nullopt, -1, 0};
  std::map<int64_t, std::pair<double, int>> sums;
  for (const sessions::MetricSeries& one : store_->metric_series(run.ref, every_task)) {
    if (one.key.task < 0) continue;
    for (size_t p = 0; p < one.steps.size(); ++p) {
      auto& [sum, count] = sums[one.steps[p]];
      sum += one.values[p];
      ++count;
    }
  }
  for (const auto& [step, sum_count] : sums) {
    curve.steps << static_cast<double>(step);
    curve.values << sum_count.first / sum_count.second;
  }
  return curve;
}

ComparisonCurvesPage::Curve ComparisonCurvesPage::curveOf(const ComparedRun& run,
                                                          const std::string& split, int task,
                                                          size_t max_points) const {
  // Train losses are metric series; evaluations (per task, per evaluated step) are rows
  // of their own table.
  return split != "train" ? evaluationCurve(run, split, task)
                          : trainCurve(run, split, task, max_points);
}

QStringList ComparisonCurvesPage::fillMethodCurves(const QString& task_name,
                                                   const std::string& split) {
  QStringList problems;
  std::vector<QString> methods;  // in the order of the runs
  std::map<QString, std::vector<std::vector<std::pair<int64_t, double>>>> curves;
  for (const ComparedRun& run : runs_) {
    if (std::find(methods.begin(), methods.end(), run.method) == methods.end())
      methods.push_back(run.method);
    const int task = task_name.isEmpty() ? -1 : taskIndexOf(run, task_name);
    if (!task_name.isEmpty() && task < 0) continue;
    Curve curve;
    // Every point (no downsampling): the seeds' curves are averaged step by step.
    const QString problem = readFromStore([&] { curve = curveOf(run, split, task, 0); });
    if (!problem.isEmpty()) problems << tr("%1: %2").arg(run.label, problem);
    std::vector<std::pair<int64_t, double>> points;
    for (int p = 0; p < curve.steps.size(); ++p)
      points.emplace_back(static_cast<int64_t>(curve.steps[p]), curve.values[p]);
    curves[run.method].push_back(std::move(points));
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (size_t m = 0; m < methods.size(); ++m) {
    const auto& runs = curves[methods[m]];
    const std::vector<analysis::BandPoint> band = analysis::mean_curve(runs);
    QVector<double> steps, means, lows, highs;
    for (const analysis::BandPoint& point : band) {
      steps << static_cast<double>(point.step);
      means << point.value.mean;
      lows << (point.value.interval ? (*point.value.interval)[0] : nan);
      highs << (point.value.interval ? (*point.value.interval)[1] : nan);
    }
    const QColor color = categoricalColor(static_cast<int>(m));
    MethodGraphs graphs;
    graphs.method = methods[m];
    graphs.runs = static_cast<int>(runs.size());
    graphs.lower = plot_->addGraph();
    graphs.upper = plot_->addGraph();
    for (QCPGraph* edge : {graphs.lower, graphs.upper}) {
      edge->setData(steps, edge == graphs.lower ? lows : highs, true);
      edge->setPen(Qt::NoPen);
      edge->removeFromLegend();
    }
    QColor fill = color;
    fill.setAlpha(50);
    graphs.upper->setBrush(fill);
    graphs.upper->setChannelFillGraph(graphs.lower);
    graphs.mean = plot_->addGraph();
    graphs.mean->setName(tr("%1 (mean of %n seed(s))", nullptr, graphs.runs).arg(methods[m]));
    graphs.mean->setPen(QPen(color, 2.0));
    graphs.mean->setData(steps, means, true);
    if (split != "train")
      graphs.mean->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
    method_graphs_.push_back(graphs);
  }
  return problems;
}

void ComparisonCurvesPage::fillCurves() {
  plot_->clearGraphs();
  method_graphs_.clear();
  if (!store_) return;
  const QString task_name = task_combo_->currentData().toString();
  const std::string split = split_combo_->currentText().toStdString();
  const bool evaluated = split != "train";
  QStringList problems;
  const bool by_method = mean_check_->isEnabled() && mean_check_->isChecked();
  if (by_method) problems = fillMethodCurves(task_name, split);
  for (size_t i = 0; i < runs_.size() && !by_method; ++i) {
    const ComparedRun& run = runs_[i];
    const int task = task_name.isEmpty() ? -1 : taskIndexOf(run, task_name);
    Curve curve;
    // A run without the chosen task has no curve.
    if (task_name.isEmpty() || task >= 0) {
      const QString problem =
          readFromStore([&] { curve = curveOf(run, split, task, kMaxTrainPoints); });
      if (!problem.isEmpty()) problems << tr("%1: %2").arg(run.label, problem);
    }
    QCPGraph* graph = plot_->addGraph();
    graph->setName(run.label);
    graph->setPen(QPen(categoricalColor(static_cast<int>(i)), 1.5));
    graph->setData(curve.steps, curve.values, true);
    if (evaluated) graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
  }
  showProblems(problems_, problems);
  plot_->yAxis->setLabel(task_name.isEmpty()
                             ? tr("mean %1 loss").arg(QString::fromStdString(split))
                             : tr("%1 loss of %2").arg(QString::fromStdString(split), task_name));
  plot_->rescaleAxes();
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

QList<ExportTarget> ComparisonCurvesPage::exportTargets() const {
  return {ExportTarget{tr("Comparison curves"),
                       {QStringLiteral("png"), QStringLiteral("pdf")},
                       [plot = plot_](const QString& path) { return exportPlot(plot, path); }}};
}

}  // namespace tensorpoly::ui
