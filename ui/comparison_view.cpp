// The comparison's host: reads the compared runs once and hands them to its pages.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/comparison_view.h"

#include <QTabWidget>
#include <QVBoxLayout>
#include <stdexcept>

#include "ui/comparison_config_page.h"
#include "ui/comparison_curves_page.h"
#include "ui/comparison_metrics_page.h"
#include "ui/comparison_routing_page.h"
#include "ui/task_selection.h"

namespace tensorpoly::ui {

namespace {

QString runLabel(const sessions::RunRef& ref, const std::string& name) {
  const QString id =
      ref.database == sessions::kMainDatabase
          ? QString::number(ref.id)
          : QString::fromStdString(ref.database) + QLatin1Char(':') + QString::number(ref.id);
  return QStringLiteral("%1 %2").arg(id, QString::fromStdString(name));
}

}  // namespace

ComparisonView::ComparisonView(QWidget* parent) : QWidget(parent) {
  tabs_ = new QTabWidget(this);
  tabs_->setObjectName(QStringLiteral("comparisonTabs"));
  curves_ = new ComparisonCurvesPage;
  config_ = new ComparisonConfigPage;
  metrics_ = new ComparisonMetricsPage;
  routing_ = new ComparisonRoutingPage;
  pages_ = {curves_, config_, metrics_, routing_};
  tabs_->addTab(curves_, tr("Curves"));
  tabs_->addTab(config_, tr("Config diff"));
  tabs_->addTab(metrics_, tr("Final metrics"));
  tabs_->addTab(routing_, tr("Routing"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(tabs_);

  // Choosing a task for the curves highlights it everywhere; the mean clears the highlight.
  connect(curves_, &ComparisonCurvesPage::taskChosen, this,
          [this](const QString& name) { highlightTaskNamed(name); });
  connect(routing_, &ComparisonRoutingPage::taskHighlighted, this,
          [this](const QString& name) { highlightTaskNamed(name); });
}

void ComparisonView::clear() {
  highlighted_task_.clear();
  runs_.clear();
  for (ComparisonPage* page : pages_) page->clear();
}

QString ComparisonView::setRuns(sessions::Store* store, const std::vector<sessions::RunRef>& runs) {
  clear();
  if (!store || runs.size() < 2) return tr("Select two or more runs to compare.");
  std::vector<ComparedRun> compared;
  for (const sessions::RunRef& ref : runs) {
    sessions::RunDetails details;
    const QString problem = readFromStore([&] { details = store->run_details(ref); });
    if (!problem.isEmpty()) return problem;
    ComparedRun run;
    run.ref = ref;
    run.label = runLabel(ref, details.summary.name);
    run.tasks = details.tasks;
    run.study = QString::fromStdString(details.summary.study);
    if (!run.study.isEmpty() && ref.database == sessions::kMainDatabase) {
      const QString study_problem = readFromStore([&] {
        for (const sessions::StudyRun& member : store->study_runs(details.summary.study))
          if (member.run.id == ref.id) run.method = QString::fromStdString(member.method);
      });
      if (!study_problem.isEmpty()) return study_problem;
    }
    try {
      run.config = flatten_json(details.config_json.empty() ? "{}" : details.config_json);
    } catch (const std::invalid_argument& error) {
      return tr("%1: %2").arg(run.label, QString::fromStdString(error.what()));
    }
    compared.push_back(std::move(run));
  }
  runs_ = std::move(compared);
  for (ComparisonPage* page : pages_) page->setRuns(store, runs_);
  // A task highlighted in the window before the comparison opened is highlighted here too.
  if (shared_selection_)
    highlightTaskNamed(shared_selection_->taskName(shared_selection_->highlightedTask()),
                       /*from_shared=*/true);
  return {};
}

const std::vector<ConfigDifference>& ComparisonView::configDifferences() const {
  return config_->differences();
}
QTableWidget* ComparisonView::configTable() const { return config_->table(); }
QTableWidget* ComparisonView::metricTable() const { return metrics_->table(); }
QCustomPlot* ComparisonView::curvePlot() const { return curves_->plot(); }
QComboBox* ComparisonView::curveTaskCombo() const { return curves_->taskCombo(); }
QComboBox* ComparisonView::curveSplitCombo() const { return curves_->splitCombo(); }
const std::vector<RoutingHeatmapView*>& ComparisonView::heatmaps() const {
  return routing_->heatmaps();
}
QCheckBox* ComparisonView::alignCheck() const { return routing_->alignCheck(); }
QComboBox* ComparisonView::layerCombo() const { return routing_->layerCombo(); }
QSlider* ComparisonView::stepSlider() const { return routing_->stepSlider(); }
QString ComparisonView::alignmentNote() const { return routing_->alignmentNote(); }
void ComparisonView::setStep(int64_t step) { routing_->setStep(step); }
void ComparisonView::setLayer(const QString& layer) { routing_->setLayer(layer); }
void ComparisonView::setAligned(bool aligned) { routing_->setAligned(aligned); }
std::vector<int> ComparisonView::shownSkillOrder(int index) const {
  return routing_->shownSkillOrder(index);
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

void ComparisonView::highlightTaskNamed(const QString& name, bool from_shared) {
  if (syncing_highlight_) return;
  syncing_highlight_ = true;
  highlighted_task_ = name;
  routing_->highlightTask(name);
  // The curves show the highlighted task; no highlight (or a task no run has): the mean.
  curves_->showTask(name);
  // A highlight that came from the window's selection is not written back: the window's
  // tasks may be another run's, whose names the comparison's runs need not share.
  if (shared_selection_ && !from_shared)
    shared_selection_->setHighlightedTask(shared_selection_->indexOfTask(name));
  syncing_highlight_ = false;
}

QList<ExportTarget> ComparisonView::exportTargets() const {
  const auto* page = qobject_cast<const ComparisonPage*>(tabs_->currentWidget());
  return page ? page->exportTargets() : QList<ExportTarget>{};
}

}  // namespace tensorpoly::ui
