// The comparison's routing tab.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/comparison_routing_page.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QVBoxLayout>
#include <algorithm>
#include <numeric>
#include <set>

#include "tensorpoly/skill_alignment.h"
#include "ui/routing_heatmap_view.h"
#include "ui/task_selection.h"

namespace tensorpoly::ui {

namespace {

std::string orderKey(size_t index, const std::string& layer) {
  return std::to_string(index) + "|" + layer;
}

}  // namespace

ComparisonRoutingPage::ComparisonRoutingPage(QWidget* parent) : ComparisonPage(parent) {
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
  problems_ = newProblemLabel(QStringLiteral("comparisonRoutingProblems"));
  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel(tr("Layer")));
  controls->addWidget(layer_combo_, 2);
  controls->addWidget(new QLabel(tr("Step")));
  controls->addWidget(step_slider_, 2);
  controls->addWidget(step_label_);
  controls->addWidget(align_check_);
  heatmap_row_ = new QWidget;
  new QHBoxLayout(heatmap_row_);
  heatmap_row_->layout()->setContentsMargins(0, 0, 0, 0);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(controls);
  layout->addWidget(align_label_);
  layout->addWidget(problems_);
  layout->addWidget(heatmap_row_, 1);

  connect(layer_combo_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int index) {
    if (!syncing_ && index >= 0) setLayer(layer_combo_->itemData(index).toString());
  });
  connect(step_slider_, &QSlider::valueChanged, this, [this](int index) {
    if (syncing_ || index < 0 || index >= static_cast<int>(all_steps_.size())) return;
    setStep(all_steps_[static_cast<size_t>(index)]);
  });
  connect(align_check_, &QCheckBox::toggled, this, &ComparisonRoutingPage::setAligned);
}

void ComparisonRoutingPage::clear() {
  store_ = nullptr;
  runs_.clear();
  all_steps_.clear();
  shown_orders_.clear();
  step_problems_.clear();
  step_ = -1;
  layer_.clear();
  for (RoutingHeatmapView* view : heatmaps_) view->deleteLater();
  heatmaps_.clear();
  align_label_->clear();
  showProblems(problems_, {});
}

// One heatmap per run, fed the same step.
void ComparisonRoutingPage::setRuns(sessions::Store* store, const std::vector<ComparedRun>& runs) {
  clear();
  store_ = store;
  runs_ = runs;
  std::set<int64_t> steps;
  for (const ComparedRun& run : runs_) {
    const QString problem = readFromStore([&] {
      for (const int64_t step : store_->routing_steps(run.ref)) steps.insert(step);
    });
    if (!problem.isEmpty()) step_problems_ << tr("%1: %2").arg(run.label, problem);
  }
  all_steps_.assign(steps.begin(), steps.end());
  for (size_t i = 0; i < runs_.size(); ++i) addPanel(i);
  {
    const QSignalBlocker blocker(step_slider_);
    step_slider_->setRange(0, std::max(0, static_cast<int>(all_steps_.size()) - 1));
    step_slider_->setValue(step_slider_->maximum());
  }
  showProblems(problems_, step_problems_);
  if (!all_steps_.empty()) setStep(all_steps_.back());
}

void ComparisonRoutingPage::addPanel(size_t index) {
  const ComparedRun& run = runs_[index];
  auto* view = new RoutingHeatmapView(heatmap_row_);
  view->setObjectName(QStringLiteral("comparisonHeatmap%1").arg(index));
  view->setToolTip(run.label);
  view->setTasks(taskLabels(run.tasks));
  auto* column = new QWidget(heatmap_row_);
  auto* column_layout = new QVBoxLayout(column);
  column_layout->setContentsMargins(0, 0, 0, 0);
  column_layout->addWidget(new QLabel(QStringLiteral("<b>%1</b>").arg(run.label.toHtmlEscaped())));
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
  connect(view->selection(), &TaskSelection::highlightedTaskChanged, this, [this, index](int task) {
    if (highlighting_ || index >= runs_.size()) return;
    const std::vector<TaskInfo>& tasks = runs_[index].tasks;
    const auto found = std::find_if(tasks.begin(), tasks.end(),
                                    [task](const TaskInfo& info) { return info.index == task; });
    Q_EMIT taskHighlighted(found == tasks.end() ? QString() : QString::fromStdString(found->name));
  });
  heatmaps_.push_back(view);
}

void ComparisonRoutingPage::highlightTask(const QString& name) {
  highlighting_ = true;
  for (size_t i = 0; i < heatmaps_.size() && i < runs_.size(); ++i)
    heatmaps_[i]->selection()->setHighlightedTask(taskIndexOf(runs_[i], name));
  highlighting_ = false;
}

void ComparisonRoutingPage::setStep(int64_t step) {
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

void ComparisonRoutingPage::setLayer(const QString& layer) {
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

void ComparisonRoutingPage::setAligned(bool aligned) {
  if (align_check_->isChecked() != aligned) {
    align_check_->setChecked(aligned);  // toggles back into here
    return;
  }
  showRouting();
}

QString ComparisonRoutingPage::alignmentNote() const { return align_label_->text(); }

QString ComparisonRoutingPage::problems() const { return problems_->text(); }

std::vector<int> ComparisonRoutingPage::shownSkillOrder(int index) const {
  if (index < 0) return {};
  const auto found = shown_orders_.find(orderKey(static_cast<size_t>(index), layer_.toStdString()));
  return found == shown_orders_.end() ? std::vector<int>{} : found->second;
}

QString ComparisonRoutingPage::alignRun(size_t index, const std::vector<RoutingMatrix>& reference,
                                        std::vector<RoutingMatrix>* layers) {
  // Skills are compared on the tasks both runs have, matched by name: the suites may be
  // listed in another order or only overlap.
  const ComparedRun& run = runs_[index];
  const std::vector<analysis::TaskPair> task_pairs =
      analysis::match_tasks_by_name(taskNamesByIndex(runs_.front()), taskNamesByIndex(run));
  double similarity = 0.0;
  int aligned_layers = 0;
  int64_t matched_tasks = 0;
  std::string reason;
  for (RoutingMatrix& layer : *layers) {
    const auto match = std::find_if(reference.begin(), reference.end(),
                                    [&](const RoutingMatrix& r) { return r.layer == layer.layer; });
    if (match == reference.end()) {
      if (reason.empty()) reason = "the first run has no layer " + layer.layer;
      continue;
    }
    const analysis::SkillAlignment alignment = analysis::align_skills(*match, layer, task_pairs);
    if (!alignment.aligned) {
      if (reason.empty()) reason = alignment.reason;
      continue;
    }
    similarity += alignment.total_similarity / std::max<int64_t>(1, match->n_skills());
    ++aligned_layers;
    matched_tasks = alignment.matched_tasks;
    shown_orders_[orderKey(index, layer.layer)] = alignment.other_skill;
    layer = analysis::reorder_skills(layer, alignment.other_skill);
  }
  if (aligned_layers == 0) {
    return tr("%1: not aligned with the first run (%2); raw skill order")
        .arg(run.label,
             reason.empty() ? tr("no routing at this step") : QString::fromStdString(reason));
  }
  return tr("%1: skills aligned on %2 of %3 task(s) matched by name, in %4 layer(s); "
            "mean cosine similarity %5")
      .arg(run.label)
      .arg(matched_tasks)
      .arg(run.tasks.size())
      .arg(aligned_layers)
      .arg(similarity / aligned_layers, 0, 'f', 3);
}

void ComparisonRoutingPage::showRouting() {
  if (!store_ || runs_.empty() || step_ < 0) return;
  shown_orders_.clear();
  const bool align = align_check_->isChecked();
  std::vector<RoutingMatrix> reference;
  QStringList notes;
  QStringList problems = step_problems_;
  syncing_ = true;
  for (size_t i = 0; i < runs_.size() && i < heatmaps_.size(); ++i) {
    std::vector<RoutingMatrix> layers;
    const QString problem =
        readFromStore([&] { layers = store_->routing_nearest(runs_[i].ref, step_).layers; });
    if (!problem.isEmpty()) problems << tr("%1: %2").arg(runs_[i].label, problem);
    if (i == 0) reference = layers;
    // The raw order, unless the alignment below replaces it.
    for (const RoutingMatrix& layer : layers) {
      std::vector<int> identity(static_cast<size_t>(std::max<int64_t>(0, layer.n_skills())));
      std::iota(identity.begin(), identity.end(), 0);
      shown_orders_[orderKey(i, layer.layer)] = identity;
    }
    if (i > 0 && align) notes << alignRun(i, reference, &layers);
    RoutingHeatmapView* view = heatmaps_[i];
    view->setSnapshots({step_});
    view->setRouting(step_, layers);
    view->setCurrentStep(step_);
    view->setLayer(layer_);
  }
  syncing_ = false;
  problems.removeDuplicates();
  align_label_->setText(align ? notes.join(QLatin1Char('\n')) : tr("Raw skill order of each run."));
  showProblems(problems_, problems);
  updateLayerChoices();
}

// The layer list of the first run ("" = the mean over layers).
void ComparisonRoutingPage::updateLayerChoices() {
  if (heatmaps_.empty()) return;
  const QStringList layers = heatmaps_.front()->layers();
  const QSignalBlocker blocker(layer_combo_);
  QStringList shown;
  for (int i = 1; i < layer_combo_->count(); ++i) shown << layer_combo_->itemData(i).toString();
  if (layer_combo_->count() == 0 || shown != layers) {
    layer_combo_->clear();
    layer_combo_->addItem(tr("Mean over layers"), QString());
    for (const QString& layer : layers) layer_combo_->addItem(layer, layer);
  }
  layer_combo_->setCurrentIndex(std::max(0, layer_combo_->findData(layer_)));
}

QList<ExportTarget> ComparisonRoutingPage::exportTargets() const {
  QList<ExportTarget> targets;
  for (size_t i = 0; i < heatmaps_.size() && i < runs_.size(); ++i) {
    RoutingHeatmapView* view = heatmaps_[i];
    targets << ExportTarget{tr("Heatmap of %1").arg(runs_[i].label),
                            {QStringLiteral("png"), QStringLiteral("pdf"), QStringLiteral("csv")},
                            [view](const QString& path) { return view->exportTo(path); }};
  }
  return targets;
}

}  // namespace tensorpoly::ui
