// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/routing_heatmap_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSlider>
#include <QStandardItemModel>
#include <QTextStream>
#include <QTimer>
#include <QToolButton>
#include <QToolTip>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "tensorpoly/analysis.h"
#include "ui/palette.h"
#include "ui/plot_export.h"
#include "ui/qcustomplot_include.h"

namespace tensorpoly::ui {
namespace {

constexpr int kCacheSize = 16;       // snapshots kept in memory
constexpr int kLabelSpacingPx = 13;  // at most one row label per this many pixels
constexpr int kLayerRole = Qt::UserRole + 1;
const QString kWarn = QStringLiteral("\u26A0 ");

// "encoder.block.3.layer.0.SelfAttention.q" -> ("encoder · block 3", "SelfAttention.q").
std::pair<QString, QString> layerGroup(const QString& layer) {
  static const QRegularExpression pattern(
      QStringLiteral(R"(^(encoder|decoder)\.block\.(\d+)\.(?:layer\.\d+\.)?(.*)$)"));
  const auto match = pattern.match(layer);
  if (!match.hasMatch()) return {QStringLiteral("other"), layer};
  return {QStringLiteral("%1 · block %2").arg(match.captured(1), match.captured(2)),
          match.captured(3)};
}

}  // namespace

RoutingHeatmapView::RoutingHeatmapView(QWidget* parent) : QWidget(parent) {
  own_selection_ = new TaskSelection(this);

  plot_ = new QCustomPlot(this);
  plot_->setNotAntialiasedElements(QCP::aePlottables);
  plot_->setAutoAddPlottableToLegend(false);  // legends are our own widgets
  plot_->setMouseTracking(true);
  plot_->setMinimumSize(320, 240);
  plot_->plotLayout()->clear();  // rebuildPanels() lays out the panels and the colour scale

  layer_model_ = new QStandardItemModel(this);
  layer_combo_ = new QComboBox(this);
  layer_combo_->setModel(layer_model_);
  layer_combo_->setToolTip(
      tr("Adapted layer (grouped by stack and block), or the mean over layers"));
  block_combo_ = new QComboBox(this);
  order_combo_ = new QComboBox(this);
  order_combo_->addItems({tr("Task index"), tr("Name"), tr("Family"), tr("Cluster order")});
  step_slider_ = new QSlider(Qt::Horizontal, this);
  step_slider_->setToolTip(
      tr("Scrub through the stored routing snapshots; at the end it follows "
         "a live run"));
  step_label_ = new QLabel(tr("no snapshot"), this);
  diff_check_ = new QCheckBox(tr("Diff from"), this);
  diff_check_->setToolTip(tr("Show the change since an earlier step (blue: less, red: more)"));
  reference_combo_ = new QComboBox(this);
  reference_combo_->setEnabled(false);
  flags_label_ = new QLabel(this);
  flags_label_->setWordWrap(true);
  flags_label_->setToolTip(
      tr("\u26A0 collapsed skill: every task gives it less than %1 × 1/n_skills of its routing.\n"
         "\u26A0 near-uniform task: routing entropy ≥ %2 × log(n_skills), averaged over the "
         "orders/splits shown.")
          .arg(kCollapsedSkillShare)
          .arg(kUniformEntropyRatio));
  readout_ = new QLabel(this);
  readout_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  readout_->setWordWrap(true);  // a long hover read-out must not widen the dock

  auto* export_button = new QToolButton(this);
  export_button->setText(tr("Export"));
  export_button->setPopupMode(QToolButton::InstantPopup);
  auto* export_menu = new QMenu(export_button);
  const QList<ExportTarget> targets = {{tr("heatmap"),
                                        {QStringLiteral("png"), QStringLiteral("pdf")},
                                        [this](const QString& path) { return exportTo(path); }},
                                       {tr("routing table"),
                                        {QStringLiteral("csv")},
                                        [this](const QString& path) { return exportTo(path); }}};
  addExportActions(export_menu, this, targets);
  export_button->setMenu(export_menu);
  installExportContextMenu(plot_, targets);

  auto* row1 = new QHBoxLayout;
  layer_caption_ = new QLabel(tr("Layer"), this);
  row1->addWidget(layer_caption_);
  row1->addWidget(layer_combo_, 2);
  row1->addWidget(block_combo_);
  row1->addWidget(new QLabel(tr("Rows"), this));
  row1->addWidget(order_combo_);
  row1->addWidget(export_button);
  // The step controls in one widget, so that embedded mode hides them at once.
  step_row_ = new QWidget(this);
  auto* row2 = new QHBoxLayout(step_row_);
  row2->setContentsMargins(0, 0, 0, 0);
  row2->addWidget(new QLabel(tr("Step"), step_row_));
  row2->addWidget(step_slider_, 1);
  row2->addWidget(step_label_);
  row2->addWidget(diff_check_);
  row2->addWidget(reference_combo_);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(row1);
  layout->addWidget(step_row_);
  layout->addWidget(plot_, 1);
  layout->addWidget(flags_label_);
  layout->addWidget(readout_);

  connect(layer_combo_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int index) {
    if (updating_controls_ || index < 0) return;
    setLayer(layer_model_->item(index)->data(kLayerRole).toString());
  });
  connect(block_combo_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int index) {
    if (!updating_controls_ && index >= 0) setBlock(block_combo_->itemData(index).toInt());
  });
  connect(order_combo_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          [this](int index) { setRowOrder(static_cast<RowOrder>(index)); });
  connect(step_slider_, &QSlider::valueChanged, this, [this](int index) {
    if (!updating_controls_ && index >= 0 && index < static_cast<int>(steps_.size()))
      setCurrentStep(steps_[static_cast<size_t>(index)]);
  });
  connect(diff_check_, &QCheckBox::toggled, this, [this](bool on) {
    if (updating_controls_) return;
    const int index = reference_combo_->currentIndex();
    setDiffMode(on, index >= 0 ? reference_combo_->itemData(index).toLongLong() : -1);
  });
  connect(reference_combo_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          [this](int index) {
            if (!updating_controls_ && index >= 0 && diff_)
              setDiffMode(true, reference_combo_->itemData(index).toLongLong());
          });
  connect(plot_, &QCustomPlot::mouseMove, this, [this](QMouseEvent* event) {
    const QString text = hoverText(event->pos());
    readout_->setText(text);
    if (text.isEmpty())
      QToolTip::hideText();
    else
      QToolTip::showText(event->globalPosition().toPoint(), text, plot_);
  });
  connect(plot_, &QCustomPlot::mousePress, this, [this](QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return;
    const Cell cell = cellAt(event->pos());
    if (cell.task < 0) return;
    selection_->toggleHighlight(cell.task);
    Q_EMIT taskClicked(cell.task);
  });

  setSelection(own_selection_);
  updateLayerChoices();
  updateBlockChoices();
  updateStepControls();
}

void RoutingHeatmapView::setSelection(TaskSelection* selection) {
  if (selection == nullptr) selection = own_selection_;
  disconnect(highlight_connection_);
  disconnect(visibility_connection_);
  selection_ = selection;
  // Without tasks yet, leave a shared selection as the other views set it.
  if (!tasks_.empty()) selection_->setTasks(tasks_);
  highlight_connection_ = connect(selection_, &TaskSelection::highlightedTaskChanged, this, [this] {
    updateHighlight();
    plot_->replot(QCustomPlot::rpQueuedReplot);
  });
  visibility_connection_ =
      connect(selection_, &TaskSelection::visibilityChanged, this, [this] { scheduleRedraw(); });
  scheduleRedraw();
}

void RoutingHeatmapView::setTasks(const TaskLabels& tasks) {
  const bool changed = tasks.size() != tasks_.size() ||
                       !std::equal(tasks.begin(), tasks.end(), tasks_.begin(),
                                   [](const TaskLabel& a, const TaskLabel& b) {
                                     return a.name == b.name && a.family == b.family;
                                   });
  tasks_ = tasks;
  if (changed) cluster_orders_.clear();
  selection_->setTasks(tasks_);
  scheduleRedraw();
}

void RoutingHeatmapView::setEmbedded(bool embedded) {
  embedded_ = embedded;
  layer_caption_->setVisible(!embedded);
  layer_combo_->setVisible(!embedded);
  step_row_->setVisible(!embedded);
}

void RoutingHeatmapView::clear() {
  cache_.clear();
  cluster_orders_.clear();
  steps_.clear();
  tasks_.clear();
  current_step_ = reference_step_ = -1;
  diff_ = false;
  external_cluster_order_.clear();
  updateLayerChoices();
  updateStepControls();
  scheduleRedraw();
}

void RoutingHeatmapView::setSnapshots(const std::vector<int64_t>& steps) {
  const bool following = current_step_ < 0 || steps_.empty() || current_step_ >= steps_.back();
  steps_ = steps;
  std::sort(steps_.begin(), steps_.end());
  updateStepControls();
  if (!steps_.empty() && (following || current_step_ < 0)) setCurrentStep(steps_.back());
}

void RoutingHeatmapView::setRouting(int64_t step, const std::vector<RoutingMatrix>& layers,
                                    const TaskLabels& tasks) {
  setTasks(tasks);
  setRouting(step, layers);
}

void RoutingHeatmapView::setRouting(int64_t step, const std::vector<RoutingMatrix>& layers) {
  cache_[step] = layers;
  forgetClusterOrders(step);  // new data for this step
  if (current_step_ < 0) current_step_ = step;
  if (!std::binary_search(steps_.begin(), steps_.end(), step))
    steps_.insert(std::upper_bound(steps_.begin(), steps_.end(), step), step);
  updateStepControls();
  evictCache();
  updateLayerChoices();
  updateBlockChoices();
  if (step == current_step_ || (diff_ && step == reference_step_)) scheduleRedraw();
}

void RoutingHeatmapView::evictCache() {
  while (static_cast<int>(cache_.size()) > kCacheSize) {
    // Drop the snapshot farthest from the current step that is not in use.
    auto victim = cache_.end();
    int64_t worst = -1;
    for (auto it = cache_.begin(); it != cache_.end(); ++it) {
      if (it->first == current_step_ || it->first == reference_step_) continue;
      const int64_t distance = std::abs(it->first - current_step_);
      if (distance > worst) {
        worst = distance;
        victim = it;
      }
    }
    if (victim == cache_.end()) return;
    forgetClusterOrders(victim->first);
    cache_.erase(victim);
  }
}

void RoutingHeatmapView::request(int64_t step) {
  if (step >= 0 && cache_.find(step) == cache_.end()) Q_EMIT requestStep(step);
}

void RoutingHeatmapView::setCurrentStep(int64_t step) {
  current_step_ = step;
  updateStepControls();
  request(step);
  scheduleRedraw();
}

void RoutingHeatmapView::setLayer(const QString& layer) {
  const bool changed = layer != layer_;
  layer_ = layer;
  updateLayerChoices();
  updateBlockChoices();
  scheduleRedraw();
  if (changed) Q_EMIT layerChanged(layer_);
}

QStringList RoutingHeatmapView::layers() const {
  QStringList names;
  const auto it = cache_.find(current_step_);
  const auto& source = it != cache_.end() ? it->second
                       : cache_.empty()   ? std::vector<RoutingMatrix>{}
                                          : cache_.rbegin()->second;
  for (const RoutingMatrix& matrix : source) names << QString::fromStdString(matrix.layer);
  return names;
}

void RoutingHeatmapView::setBlock(int block) {
  const bool changed = block != block_;
  block_ = block;
  updateBlockChoices();
  scheduleRedraw();
  if (changed) Q_EMIT blockChanged(block_);
}

void RoutingHeatmapView::setRowOrder(RowOrder order) {
  row_order_ = order;
  if (order_combo_->currentIndex() != static_cast<int>(order))
    order_combo_->setCurrentIndex(static_cast<int>(order));
  scheduleRedraw();
}

void RoutingHeatmapView::setClusterOrder(const std::vector<int64_t>& leaf_order) {
  external_cluster_order_ = leaf_order;
  if (row_order_ == RowOrder::kCluster) scheduleRedraw();
}

void RoutingHeatmapView::setDiffMode(bool on, int64_t reference_step) {
  diff_ = on;
  if (reference_step < 0 && !steps_.empty()) reference_step = steps_.front();
  reference_step_ = reference_step;
  updateStepControls();
  if (on) request(reference_step);
  scheduleRedraw();
}

void RoutingHeatmapView::scheduleRedraw() {
  if (redraw_pending_) return;
  redraw_pending_ = true;
  // Merge a burst of setter calls (a new snapshot: steps, routing, layers) into one redraw.
  QTimer::singleShot(0, this, [this] {
    if (redraw_pending_) redrawNow();
  });
}

// The shown routing at `step`: the chosen layer, or the mean over the layers
// whose shape matches the first layer's; false when not available.
bool RoutingHeatmapView::compute(int64_t step, std::vector<double>* values, Shown* shape) const {
  const auto it = cache_.find(step);
  if (it == cache_.end() || it->second.empty()) return false;
  const std::vector<RoutingMatrix>& layers = it->second;
  std::vector<const RoutingMatrix*> used;
  if (layer_.isEmpty()) {
    for (const RoutingMatrix& matrix : layers)
      if (matrix.shape == layers.front().shape && matrix.kind == layers.front().kind)
        used.push_back(&matrix);
  } else {
    for (const RoutingMatrix& matrix : layers)
      if (QString::fromStdString(matrix.layer) == layer_) used.push_back(&matrix);
  }
  if (used.empty()) return false;
  const RoutingMatrix& first = *used.front();
  shape->kind = first.kind;
  shape->n_blocks = static_cast<int>(first.n_blocks());
  shape->n_tasks = static_cast<int>(first.n_tasks());
  shape->n_skills = static_cast<int>(first.n_skills());
  shape->layer_label = !layer_.isEmpty()  ? layer_
                       : used.size() == 1 ? tr("mean over 1 layer")
                                          : tr("mean over %1 layers").arg(used.size());
  values->assign(first.values.size(), 0.0);
  for (const RoutingMatrix* matrix : used)
    for (size_t i = 0; i < matrix->values.size(); ++i) (*values)[i] += matrix->values[i];
  const double scale = 1.0 / static_cast<double>(used.size());
  for (double& v : *values) v *= scale;
  return true;
}

void RoutingHeatmapView::recompute() {
  has_shown_ = false;
  Shown shown;
  if (!compute(current_step_, &shown.base, &shown)) return;
  shown.values = shown.base;
  if (diff_) {
    Shown reference;
    std::vector<double> reference_values;
    if (!compute(reference_step_, &reference_values, &reference) ||
        reference_values.size() != shown.base.size())
      return;
    for (size_t i = 0; i < shown.values.size(); ++i) shown.values[i] -= reference_values[i];
  }
  shown_ = std::move(shown);
  has_shown_ = true;
}

void RoutingHeatmapView::updateRows() {
  rows_.clear();
  const int n_tasks = has_shown_ ? shown_.n_tasks : 0;
  for (int task = 0; task < n_tasks; ++task)
    if (selection_->isVisible(task)) rows_.push_back(task);
  const auto name = [this](int task) {
    return task < static_cast<int>(tasks_.size()) ? tasks_[task].name : QString::number(task);
  };
  const auto family = [this](int task) {
    return task < static_cast<int>(tasks_.size()) ? tasks_[task].family : QString();
  };
  switch (row_order_) {
    case RowOrder::kIndex:
      break;
    case RowOrder::kName:
      std::stable_sort(rows_.begin(), rows_.end(),
                       [&](int a, int b) { return name(a).localeAwareCompare(name(b)) < 0; });
      break;
    case RowOrder::kFamily:
      std::stable_sort(rows_.begin(), rows_.end(), [&](int a, int b) {
        const int by_family = family(a).localeAwareCompare(family(b));
        return by_family != 0 ? by_family < 0 : name(a).localeAwareCompare(name(b)) < 0;
      });
      break;
    case RowOrder::kCluster: {
      std::vector<int64_t> order = external_cluster_order_;
      if (order.size() != static_cast<size_t>(n_tasks) && n_tasks > 1) order = clusterOrder();
      std::vector<int> position(static_cast<size_t>(n_tasks), n_tasks);
      for (size_t i = 0; i < order.size(); ++i)
        if (order[i] >= 0 && order[i] < n_tasks)
          position[static_cast<size_t>(order[i])] = static_cast<int>(i);
      std::stable_sort(rows_.begin(), rows_.end(),
                       [&](int a, int b) { return position[a] < position[b]; });
      break;
    }
  }
  row_of_task_.assign(static_cast<size_t>(n_tasks), -1);
  for (size_t row = 0; row < rows_.size(); ++row)
    row_of_task_[static_cast<size_t>(rows_[row])] = static_cast<int>(row);
}

void RoutingHeatmapView::updateFlags() {
  flags_ = {};
  if (!has_shown_) return;
  const int S = shown_.n_skills;
  const std::vector<int> blocks = block_ < 0 || block_ >= shown_.n_blocks
                                      ? [&] { std::vector<int> all(shown_.n_blocks);
                                              std::iota(all.begin(), all.end(), 0);
                                              return all; }()
                                      : std::vector<int>{block_};
  std::vector<bool> used(static_cast<size_t>(S), false);
  for (int t = 0; t < shown_.n_tasks; ++t) {
    double entropy_ratio = 0.0;
    for (int b : blocks) {
      double total = 0.0;
      for (int s = 0; s < S; ++s) total += std::max(0.0, shown_.at(shown_.base, b, t, s));
      double entropy = 0.0;
      for (int s = 0; s < S; ++s) {
        const double p = total > 0.0 ? std::max(0.0, shown_.at(shown_.base, b, t, s)) / total : 0.0;
        if (p > 0.0) entropy -= p * std::log(p);
        if (p >= kCollapsedSkillShare / S) used[static_cast<size_t>(s)] = true;
      }
      entropy_ratio += S > 1 ? entropy / std::log(static_cast<double>(S)) : 1.0;
    }
    if (S > 1 && entropy_ratio / static_cast<double>(blocks.size()) >= kUniformEntropyRatio)
      flags_.uniform_tasks.push_back(t);
  }
  for (int s = 0; s < S; ++s)
    if (!used[static_cast<size_t>(s)]) flags_.collapsed_skills.push_back(s);
}

std::vector<int64_t> RoutingHeatmapView::clusterOrder() {
  // The shown blocks (one order/split, or all of them) at the current step.
  std::vector<int> blocks;
  if (block_ >= 0 && block_ < shown_.n_blocks) {
    blocks = {block_};
  } else {
    blocks.resize(static_cast<size_t>(shown_.n_blocks));
    std::iota(blocks.begin(), blocks.end(), 0);
  }
  const ClusterKey key{current_step_, layer_, blocks.size() == 1 ? blocks.front() : -1};
  const auto cached = cluster_orders_.find(key);
  if (cached != cluster_orders_.end()) return cached->second;
  ++cluster_computations_;
  // Average linkage on the cosine distance of the shown routing (current step).
  const int n_tasks = shown_.n_tasks;
  const auto n_blocks = static_cast<int64_t>(blocks.size());
  analysis::Matrix vectors(n_tasks, n_blocks * shown_.n_skills);
  for (int64_t b = 0; b < n_blocks; ++b)
    for (int t = 0; t < n_tasks; ++t)
      for (int s = 0; s < shown_.n_skills; ++s)
        vectors.at(t, b * shown_.n_skills + s) =
            shown_.at(shown_.base, blocks[static_cast<size_t>(b)], t, s);
  std::vector<int64_t> order;
  try {
    order = analysis::leaf_order(analysis::linkage(vectors, analysis::Linkage::kAverage));
  } catch (const std::invalid_argument&) {  // an all-zero row: cosine is undefined
    order = analysis::leaf_order(
        analysis::linkage(vectors, analysis::Linkage::kAverage, analysis::Distance::kEuclidean));
  }
  // Bounded like the snapshot cache: a long scrub must not keep every order.
  if (static_cast<int>(cluster_orders_.size()) >= kCacheSize) cluster_orders_.clear();
  cluster_orders_.emplace(key, order);
  return order;
}

void RoutingHeatmapView::forgetClusterOrders(int64_t step) {
  for (auto it = cluster_orders_.begin(); it != cluster_orders_.end();)
    it = std::get<0>(it->first) == step ? cluster_orders_.erase(it) : std::next(it);
}

QString RoutingHeatmapView::blockName(int block) const {
  const QString kind = shown_.kind == RoutingKind::kOrders ? tr("order") : tr("split");
  return QStringLiteral("%1 %2").arg(kind).arg(block + 1);
}

void RoutingHeatmapView::rebuildPanels(int n_panels) {
  if (static_cast<int>(panels_.size()) == n_panels) return;
  for (Panel& panel : panels_) {
    plot_->removeItem(panel.highlight);
    plot_->removePlottable(panel.map);
  }
  panels_.clear();
  plot_->plotLayout()->clear();  // deletes the axis rects and the old colour scale
  scale_ = new QCPColorScale(plot_);
  scale_->setType(QCPAxis::atRight);
  auto* group = new QCPMarginGroup(plot_);
  for (int i = 0; i < n_panels; ++i) {
    Panel panel;
    panel.rect = new QCPAxisRect(plot_);
    plot_->plotLayout()->addElement(0, i, panel.rect);
    panel.rect->setMarginGroup(QCP::msTop | QCP::msBottom, group);
    panel.rect->axis(QCPAxis::atLeft)->setRangeReversed(true);  // first row on top
    panel.rect->axis(QCPAxis::atLeft)->grid()->setVisible(false);
    panel.rect->axis(QCPAxis::atBottom)->grid()->setVisible(false);
    panel.map =
        new QCPColorMap(panel.rect->axis(QCPAxis::atBottom), panel.rect->axis(QCPAxis::atLeft));
    panel.map->setInterpolate(false);
    panel.map->setColorScale(scale_);
    panel.highlight = new QCPItemRect(plot_);
    panel.highlight->setClipAxisRect(panel.rect);
    panel.highlight->topLeft->setAxes(panel.rect->axis(QCPAxis::atBottom),
                                      panel.rect->axis(QCPAxis::atLeft));
    panel.highlight->bottomRight->setAxes(panel.rect->axis(QCPAxis::atBottom),
                                          panel.rect->axis(QCPAxis::atLeft));
    panel.highlight->setPen(QPen(QColor(230, 30, 30), 2));
    panel.highlight->setBrush(Qt::NoBrush);
    panels_.push_back(panel);
  }
  plot_->plotLayout()->addElement(0, n_panels, scale_);
  scale_->setMarginGroup(QCP::msTop | QCP::msBottom, group);
}

void RoutingHeatmapView::fillPanels() {
  std::vector<int> blocks;
  if (has_shown_) {
    if (block_ < 0 || block_ >= shown_.n_blocks) {
      blocks.resize(static_cast<size_t>(shown_.n_blocks));
      std::iota(blocks.begin(), blocks.end(), 0);
    } else {
      blocks = {block_};
    }
  }
  rebuildPanels(std::max<int>(1, static_cast<int>(blocks.size())));
  const int n_rows = static_cast<int>(rows_.size());
  const int S = has_shown_ ? shown_.n_skills : 0;

  // Row labels: flagged tasks marked, thinned to what the height can show.
  const auto y_ticker = QSharedPointer<QCPAxisTickerText>::create();
  const auto x_ticker = QSharedPointer<QCPAxisTickerText>::create();
  const int height = std::max(1, panels_.front().rect->height() > 0 ? panels_.front().rect->height()
                                                                    : plot_->height() - 60);
  const int row_stride = std::max(1, (n_rows * kLabelSpacingPx + height - 1) / height);
  for (int row = 0; row < n_rows; row += row_stride) {
    const int task = rows_[static_cast<size_t>(row)];
    QString label =
        task < static_cast<int>(tasks_.size()) ? tasks_[task].name : QString::number(task);
    if (std::binary_search(flags_.uniform_tasks.begin(), flags_.uniform_tasks.end(), task))
      label = kWarn + label;
    y_ticker->addTick(row, label);
  }
  const int width =
      std::max(1, panels_.front().rect->width() > 0 ? panels_.front().rect->width() : 200);
  const int skill_stride = std::max(1, (S * 18 + width - 1) / width);
  for (int s = 0; s < S; s += skill_stride) {
    const bool collapsed =
        std::binary_search(flags_.collapsed_skills.begin(), flags_.collapsed_skills.end(), s);
    x_ticker->addTick(s, (collapsed ? kWarn : QString()) + QString::number(s));
  }

  double low = 0.0, high = 1e-9;
  for (size_t i = 0; i < panels_.size(); ++i) {
    Panel& panel = panels_[i];
    panel.block = i < blocks.size() ? blocks[i] : 0;
    QCPAxis* x = panel.rect->axis(QCPAxis::atBottom);
    QCPAxis* y = panel.rect->axis(QCPAxis::atLeft);
    x->setTicker(x_ticker);
    y->setTicker(y_ticker);
    y->setTickLabels(i == 0);
    x->setLabel(has_shown_ && shown_.n_blocks > 1 ? tr("skill — %1").arg(blockName(panel.block))
                                                  : tr("skill"));
    if (!has_shown_ || n_rows == 0) {
      panel.map->data()->clear();
      continue;
    }
    auto* data = new QCPColorMapData(S, n_rows, QCPRange(0, S - 1), QCPRange(0, n_rows - 1));
    for (int row = 0; row < n_rows; ++row) {
      const int task = rows_[static_cast<size_t>(row)];
      for (int s = 0; s < S; ++s) {
        const double v = shown_.at(shown_.values, panel.block, task, s);
        data->setCell(s, row, v);
        low = std::min(low, v);
        high = std::max(high, v);
      }
    }
    panel.map->setData(data, /*copy=*/false);
    x->setRange(-0.5, S - 0.5);
    y->setRange(-0.5, n_rows - 0.5);
  }
  if (diff_) {
    const double extent = std::max({std::abs(low), std::abs(high), 1e-9});
    scale_->setGradient(divergingGradient());
    scale_->setDataRange(QCPRange(-extent, extent));
    scale_->axis()->setLabel(tr("Δ routing weight since step %1").arg(reference_step_));
  } else {
    scale_->setGradient(viridisGradient());
    scale_->setDataRange(QCPRange(0.0, high));
    scale_->axis()->setLabel(tr("routing weight"));
  }
}

void RoutingHeatmapView::updateHighlight() {
  const int task = selection_->highlightedTask();
  const int row = task >= 0 && task < static_cast<int>(row_of_task_.size())
                      ? row_of_task_[static_cast<size_t>(task)]
                      : -1;
  for (Panel& panel : panels_) {
    panel.highlight->setVisible(row >= 0);
    if (row < 0) continue;
    const double right = has_shown_ ? shown_.n_skills - 0.5 : 0.5;
    panel.highlight->topLeft->setCoords(-0.5, row - 0.5);
    panel.highlight->bottomRight->setCoords(right, row + 0.5);
  }
}

void RoutingHeatmapView::redrawNow() {
  redraw_pending_ = false;
  recompute();
  updateFlags();
  updateRows();
  fillPanels();
  updateHighlight();
  updateBlockChoices();

  QStringList text;
  if (!has_shown_) {
    text << (current_step_ < 0 ? tr("No routing snapshot yet.")
                               : tr("Loading the routing of step %1…").arg(current_step_));
  } else {
    QStringList skills, uniform;
    for (int s : flags_.collapsed_skills) skills << QString::number(s);
    for (int t : flags_.uniform_tasks)
      uniform << (t < static_cast<int>(tasks_.size()) ? tasks_[t].name : QString::number(t));
    text << (skills.isEmpty() ? tr("No collapsed skill.")
                              : tr("\u26A0 Collapsed skills (%1): %2")
                                    .arg(skills.size())
                                    .arg(skills.join(QLatin1String(", "))));
    text << (uniform.isEmpty() ? tr("No near-uniform task.")
                               : tr("\u26A0 Near-uniform tasks (%1): %2")
                                     .arg(uniform.size())
                                     .arg(uniform.join(QLatin1String(", "))));
  }
  flags_label_->setText(text.join(QStringLiteral("  ·  ")));
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

RoutingHeatmapView::Cell RoutingHeatmapView::cellAt(const QPoint& pos) const {
  Cell cell;
  if (!has_shown_) return cell;
  for (const Panel& panel : panels_) {
    if (!panel.rect->rect().contains(pos)) continue;
    double key = 0.0, value = 0.0;
    panel.map->pixelsToCoords(QPointF(pos), key, value);
    const int skill = static_cast<int>(std::lround(key));
    const int row = static_cast<int>(std::lround(value));
    if (skill < 0 || skill >= shown_.n_skills || row < 0 || row >= static_cast<int>(rows_.size()))
      return cell;
    cell.task = rows_[static_cast<size_t>(row)];
    cell.skill = skill;
    cell.block = panel.block;
    cell.value = shown_.at(shown_.values, panel.block, cell.task, skill);
    return cell;
  }
  return cell;
}

QPoint RoutingHeatmapView::pixelOf(int task, int skill, int block) const {
  if (!has_shown_ || task < 0 || task >= static_cast<int>(row_of_task_.size())) return {-1, -1};
  const int row = row_of_task_[static_cast<size_t>(task)];
  for (const Panel& panel : panels_) {
    if (panel.block != block || row < 0) continue;
    const QPointF pixel = panel.map->coordsToPixels(skill, row);
    return pixel.toPoint();
  }
  return {-1, -1};
}

QString RoutingHeatmapView::hoverText(const QPoint& pos) const {
  const Cell cell = cellAt(pos);
  if (cell.task < 0) return {};
  QString task = cell.task < static_cast<int>(tasks_.size()) ? tasks_[cell.task].name
                                                             : QString::number(cell.task);
  if (cell.task < static_cast<int>(tasks_.size()) && !tasks_[cell.task].family.isEmpty())
    task += QStringLiteral(" (%1)").arg(tasks_[cell.task].family);
  QString text =
      tr("task %1 · skill %2 · layer %3").arg(task).arg(cell.skill).arg(shown_.layer_label);
  if (shown_.n_blocks > 1) text += QStringLiteral(" · ") + blockName(cell.block);
  text += tr(" · step %1").arg(current_step_);
  if (diff_) {
    const double now = shown_.at(shown_.base, cell.block, cell.task, cell.skill);
    text += tr(" · value %1 (Δ %2 since step %3)")
                .arg(now, 0, 'f', 4)
                .arg(cell.value, 0, 'f', 4)
                .arg(reference_step_);
  } else {
    text += tr(" · value %1").arg(cell.value, 0, 'f', 4);
  }
  return text;
}

void RoutingHeatmapView::updateLayerChoices() {
  const QStringList names = layers();
  // Rebuild only when the layer list changed (a combo rebuild resets its popup).
  QStringList current;
  for (int i = 0; i < layer_model_->rowCount(); ++i) {
    const QString layer = layer_model_->item(i)->data(kLayerRole).toString();
    if (!layer.isEmpty()) current << layer;
  }
  updating_controls_ = true;
  if (current != names || layer_model_->rowCount() == 0) {
    layer_model_->clear();
    auto* mean = new QStandardItem(tr("Mean over layers"));
    mean->setData(QString(), kLayerRole);
    layer_model_->appendRow(mean);
    QString last_group;
    for (const QString& name : names) {
      const auto [group, leaf] = layerGroup(name);
      if (group != last_group) {
        auto* header = new QStandardItem(group);
        header->setFlags(Qt::ItemIsEnabled);  // a heading, not selectable
        QFont font = header->font();
        font.setBold(true);
        header->setFont(font);
        header->setData(QString(), kLayerRole);
        layer_model_->appendRow(header);
        last_group = group;
      }
      auto* item = new QStandardItem(QStringLiteral("    ") + leaf);
      item->setData(name, kLayerRole);
      item->setToolTip(name);
      layer_model_->appendRow(item);
    }
  }
  int index = 0;
  for (int i = 0; i < layer_model_->rowCount(); ++i)
    if (!layer_.isEmpty() && layer_model_->item(i)->data(kLayerRole).toString() == layer_)
      index = i;
  layer_combo_->setCurrentIndex(index);
  updating_controls_ = false;
}

void RoutingHeatmapView::updateBlockChoices() {
  const int n_blocks = has_shown_ ? shown_.n_blocks : 1;
  updating_controls_ = true;
  if (block_combo_->count() != (n_blocks > 1 ? n_blocks + 1 : 0)) {
    block_combo_->clear();
    if (n_blocks > 1) {
      for (int b = 0; b < n_blocks; ++b) block_combo_->addItem(blockName(b), b);
      block_combo_->addItem(tr("all side by side"), -1);
    }
  }
  block_combo_->setVisible(n_blocks > 1);
  const int index = block_combo_->findData(block_ < 0 || block_ >= n_blocks ? -1 : block_);
  if (index >= 0) block_combo_->setCurrentIndex(index);
  updating_controls_ = false;
}

void RoutingHeatmapView::updateStepControls() {
  updating_controls_ = true;
  const int n = static_cast<int>(steps_.size());
  step_slider_->setRange(0, std::max(0, n - 1));
  step_slider_->setEnabled(n > 1);
  const auto it = std::lower_bound(steps_.begin(), steps_.end(), current_step_);
  if (it != steps_.end()) step_slider_->setValue(static_cast<int>(it - steps_.begin()));
  step_label_->setText(n == 0 ? tr("no snapshot")
                              : tr("step %1 of %2").arg(current_step_).arg(steps_.back()));
  if (reference_combo_->count() != n) {
    reference_combo_->clear();
    for (int64_t step : steps_)
      reference_combo_->addItem(QString::number(step), QVariant::fromValue<qlonglong>(step));
  }
  const int reference = reference_combo_->findData(QVariant::fromValue<qlonglong>(reference_step_));
  if (reference >= 0) reference_combo_->setCurrentIndex(reference);
  reference_combo_->setEnabled(diff_);
  diff_check_->setChecked(diff_);
  updating_controls_ = false;
}

QString RoutingHeatmapView::exportTo(const QString& path) {
  if (redraw_pending_) redrawNow();
  if (!path.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive)) {
    plot_->replot(QCustomPlot::rpImmediateRefresh);
    return exportPlot(plot_, path);
  }
  if (!has_shown_) return tr("no routing to export to %1").arg(path);
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Text))
    return tr("could not open %1 for writing: %2").arg(path, file.errorString());
  QTextStream out(&file);
  QStringList header = {
      QStringLiteral("task"), QStringLiteral("family"),
      shown_.kind == RoutingKind::kOrders ? QStringLiteral("order") : QStringLiteral("split")};
  for (int s = 0; s < shown_.n_skills; ++s) header << QStringLiteral("skill_%1").arg(s);
  out << csvLine(header) << '\n';
  for (int task : rows_)
    for (int b = 0; b < shown_.n_blocks; ++b) {
      QStringList fields = {
          task < static_cast<int>(tasks_.size()) ? tasks_[task].name : QString::number(task),
          task < static_cast<int>(tasks_.size()) ? tasks_[task].family : QString(),
          QString::number(b + 1)};
      for (int s = 0; s < shown_.n_skills; ++s)
        fields << QString::number(shown_.at(shown_.values, b, task, s), 'g', 9);
      out << csvLine(fields) << '\n';
    }
  out.flush();
  if (!file.commit()) return tr("could not write %1: %2").arg(path, file.errorString());
  return {};
}

}  // namespace tensorpoly::ui
