// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/routing_heatmap_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSaveFile>
#include <QSlider>
#include <QStandardItemModel>
#include <QTextStream>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "ui/palette.h"
#include "ui/plot_export.h"
#include "ui/plot_panel.h"
#include "ui/qcustomplot_include.h"

namespace tensorpoly::ui {
namespace {

constexpr int kLabelSpacingPx = 13;  // at most one row label per this many pixels
constexpr int kLayerRole = Qt::UserRole + 1;
const QString kWarn = QStringLiteral("\u26A0 ");

}  // namespace

RoutingHeatmapView::RoutingHeatmapView(QWidget* parent) : QWidget(parent) {
  own_selection_ = new TaskSelection(this);
  // The panels and the colour scale are laid out by rebuildPanels().
  panel_ = new PlotPanel(this, {QSize(320, 240), false, /*empty_layout=*/true});
  const auto write = [this](const QString& path) { return exportTo(path); };
  panel_->addExport({tr("heatmap"), {QStringLiteral("png"), QStringLiteral("pdf")}, write});
  panel_->addExport({tr("routing table"), {QStringLiteral("csv")}, write});
  panel_->setHoverText([this](const QPoint& pos) { return hoverText(pos); });
  buildControls();
  connectControls();
  setSelection(own_selection_);
  updateLayerChoices();
  updateBlockChoices();
  updateStepControls();
}

void RoutingHeatmapView::buildControls() {
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

  auto* row1 = new QHBoxLayout;
  layer_caption_ = new QLabel(tr("Layer"), this);
  row1->addWidget(layer_caption_);
  row1->addWidget(layer_combo_, 2);
  row1->addWidget(block_combo_);
  row1->addWidget(new QLabel(tr("Rows"), this));
  row1->addWidget(order_combo_);
  row1->addWidget(panel_->exportButton());
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
  layout->addWidget(panel_->plot(), 1);
  layout->addWidget(flags_label_);
  layout->addWidget(panel_->readout());
}

void RoutingHeatmapView::connectControls() {
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
    const std::vector<int64_t>& steps = model_.steps();
    if (!updating_controls_ && index >= 0 && index < static_cast<int>(steps.size()))
      setCurrentStep(steps[static_cast<size_t>(index)]);
  });
  connect(diff_check_, &QCheckBox::toggled, this, [this](bool on) {
    if (updating_controls_) return;
    const int index = reference_combo_->currentIndex();
    setDiffMode(on, index >= 0 ? reference_combo_->itemData(index).toLongLong() : -1);
  });
  connect(reference_combo_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          [this](int index) {
            if (!updating_controls_ && index >= 0 && model_.isDiff())
              setDiffMode(true, reference_combo_->itemData(index).toLongLong());
          });
  connect(panel_, &PlotPanel::clicked, this, [this](const QPoint& pos) {
    const Cell cell = cellAt(pos);
    if (cell.task < 0) return;
    selection_->toggleHighlight(cell.task);
    Q_EMIT taskClicked(cell.task);
  });
}

QCustomPlot* RoutingHeatmapView::plot() const { return panel_->plot(); }

void RoutingHeatmapView::setSelection(TaskSelection* selection) {
  if (selection == nullptr) selection = own_selection_;
  disconnect(highlight_connection_);
  disconnect(visibility_connection_);
  selection_ = selection;
  // Without tasks yet, leave a shared selection as the other views set it.
  if (!model_.tasks().empty()) selection_->setTasks(model_.tasks());
  highlight_connection_ = connect(selection_, &TaskSelection::highlightedTaskChanged, this, [this] {
    updateHighlight();
    plot()->replot(QCustomPlot::rpQueuedReplot);
  });
  visibility_connection_ =
      connect(selection_, &TaskSelection::visibilityChanged, this, [this] { scheduleRedraw(); });
  scheduleRedraw();
}

void RoutingHeatmapView::setTasks(const TaskLabels& tasks) {
  model_.setTasks(tasks);
  selection_->setTasks(model_.tasks());
  scheduleRedraw();
}

void RoutingHeatmapView::setEmbedded(bool embedded) {
  embedded_ = embedded;
  layer_caption_->setVisible(!embedded);
  layer_combo_->setVisible(!embedded);
  step_row_->setVisible(!embedded);
}

void RoutingHeatmapView::clear() {
  model_.clear();
  panel_->clearHover();
  updateLayerChoices();
  updateStepControls();
  scheduleRedraw();
}

void RoutingHeatmapView::setSnapshots(const std::vector<int64_t>& steps) {
  const bool following = model_.followsLastStep();
  model_.setSteps(steps);
  updateStepControls();
  if (!model_.steps().empty() && following) setCurrentStep(model_.steps().back());
}

void RoutingHeatmapView::setRouting(int64_t step, const std::vector<RoutingMatrix>& layers,
                                    const TaskLabels& tasks) {
  setTasks(tasks);
  setRouting(step, layers);
}

void RoutingHeatmapView::setRouting(int64_t step, const std::vector<RoutingMatrix>& layers) {
  model_.setRouting(step, layers);
  updateStepControls();
  updateLayerChoices();
  updateBlockChoices();
  if (model_.shows(step)) scheduleRedraw();
}

void RoutingHeatmapView::request(int64_t step) {
  if (step >= 0 && !model_.hasRouting(step)) Q_EMIT requestStep(step);
}

void RoutingHeatmapView::setCurrentStep(int64_t step) {
  model_.setCurrentStep(step);
  updateStepControls();
  request(step);
  scheduleRedraw();
}

void RoutingHeatmapView::setLayer(const QString& layer) {
  const bool changed = layer != model_.layer();
  model_.setLayer(layer);
  updateLayerChoices();
  updateBlockChoices();
  scheduleRedraw();
  if (changed) Q_EMIT layerChanged(layer);
}

void RoutingHeatmapView::setBlock(int block) {
  const bool changed = block != model_.block();
  model_.setBlock(block);
  updateBlockChoices();
  scheduleRedraw();
  if (changed) Q_EMIT blockChanged(block);
}

void RoutingHeatmapView::setRowOrder(RowOrder order) {
  model_.setRowOrder(order);
  if (order_combo_->currentIndex() != static_cast<int>(order))
    order_combo_->setCurrentIndex(static_cast<int>(order));
  scheduleRedraw();
}

void RoutingHeatmapView::setClusterOrder(const std::vector<int64_t>& leaf_order) {
  model_.setExternalClusterOrder(leaf_order);
  if (model_.rowOrder() == RowOrder::kCluster) scheduleRedraw();
}

void RoutingHeatmapView::setDiffMode(bool on, int64_t reference_step) {
  model_.setDiff(on, reference_step);
  updateStepControls();
  if (on) request(model_.referenceStep());
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

QString RoutingHeatmapView::blockName(int block) const {
  const QString kind = model_.shown().kind == RoutingKind::kOrders ? tr("order") : tr("split");
  return QStringLiteral("%1 %2").arg(kind).arg(block + 1);
}

QString RoutingHeatmapView::layerLabel() const {
  const int layers = model_.shown().mean_of_layers;
  if (layers == 0) return model_.layer();
  return layers == 1 ? tr("mean over 1 layer") : tr("mean over %1 layers").arg(layers);
}

void RoutingHeatmapView::rebuildPanels(int n_panels) {
  if (static_cast<int>(panels_.size()) == n_panels) return;
  QCustomPlot* plot = panel_->plot();
  for (Panel& panel : panels_) {
    plot->removeItem(panel.highlight);
    plot->removePlottable(panel.map);
  }
  panels_.clear();
  plot->plotLayout()->clear();  // deletes the axis rects and the old colour scale
  scale_ = new QCPColorScale(plot);
  scale_->setType(QCPAxis::atRight);
  auto* group = new QCPMarginGroup(plot);
  for (int i = 0; i < n_panels; ++i) {
    Panel panel;
    panel.rect = new QCPAxisRect(plot);
    plot->plotLayout()->addElement(0, i, panel.rect);
    panel.rect->setMarginGroup(QCP::msTop | QCP::msBottom, group);
    panel.rect->axis(QCPAxis::atLeft)->setRangeReversed(true);  // first row on top
    panel.rect->axis(QCPAxis::atLeft)->grid()->setVisible(false);
    panel.rect->axis(QCPAxis::atBottom)->grid()->setVisible(false);
    panel.map =
        new QCPColorMap(panel.rect->axis(QCPAxis::atBottom), panel.rect->axis(QCPAxis::atLeft));
    panel.map->setInterpolate(false);
    panel.map->setColorScale(scale_);
    panel.highlight = new QCPItemRect(plot);
    panel.highlight->setClipAxisRect(panel.rect);
    panel.highlight->topLeft->setAxes(panel.rect->axis(QCPAxis::atBottom),
                                      panel.rect->axis(QCPAxis::atLeft));
    panel.highlight->bottomRight->setAxes(panel.rect->axis(QCPAxis::atBottom),
                                          panel.rect->axis(QCPAxis::atLeft));
    panel.highlight->setPen(QPen(QColor(230, 30, 30), 2));
    panel.highlight->setBrush(Qt::NoBrush);
    panels_.push_back(panel);
  }
  plot->plotLayout()->addElement(0, n_panels, scale_);
  scale_->setMarginGroup(QCP::msTop | QCP::msBottom, group);
}

void RoutingHeatmapView::fillPanels() {
  const std::vector<int> blocks = model_.shownBlocks();
  rebuildPanels(std::max<int>(1, static_cast<int>(blocks.size())));
  setTickLabels();
  const bool has_shown = model_.hasShown();
  const RoutingHeatmapModel::Shown& shown = model_.shown();
  const std::vector<int>& rows = model_.rows();
  const int n_rows = static_cast<int>(rows.size());
  const int S = has_shown ? shown.skills() : 0;
  double low = 0.0, high = 1e-9;
  for (size_t i = 0; i < panels_.size(); ++i) {
    Panel& panel = panels_[i];
    panel.block = i < blocks.size() ? blocks[i] : 0;
    panel.rect->axis(QCPAxis::atLeft)->setTickLabels(i == 0);
    QCPAxis* x = panel.rect->axis(QCPAxis::atBottom);
    x->setLabel(has_shown && shown.blocks() > 1 ? tr("skill — %1").arg(blockName(panel.block))
                                                : tr("skill"));
    if (!has_shown || n_rows == 0) {
      panel.map->data()->clear();
      continue;
    }
    auto* data = new QCPColorMapData(S, n_rows, QCPRange(0, S - 1), QCPRange(0, n_rows - 1));
    for (int row = 0; row < n_rows; ++row)
      for (int s = 0; s < S; ++s) {
        const double v = shown.value(panel.block, rows[static_cast<size_t>(row)], s);
        data->setCell(s, row, v);
        low = std::min(low, v);
        high = std::max(high, v);
      }
    panel.map->setData(data, /*copy=*/false);
    x->setRange(-0.5, S - 0.5);
    panel.rect->axis(QCPAxis::atLeft)->setRange(-0.5, n_rows - 0.5);
  }
  updateColorScale(low, high);
}

void RoutingHeatmapView::setTickLabels() {
  // Row labels (flagged tasks marked), thinned to what the height can show; skill
  // labels likewise, flagged skills marked.
  const std::vector<int>& rows = model_.rows();
  const int n_rows = static_cast<int>(rows.size());
  const int S = model_.hasShown() ? model_.shown().skills() : 0;
  const auto y_ticker = QSharedPointer<QCPAxisTickerText>::create();
  const auto x_ticker = QSharedPointer<QCPAxisTickerText>::create();
  const QCPAxisRect* first = panels_.front().rect;
  const int height =
      std::max(1, first->height() > 0 ? first->height() : panel_->plot()->height() - 60);
  const int row_stride = std::max(1, (n_rows * kLabelSpacingPx + height - 1) / height);
  for (int row = 0; row < n_rows; row += row_stride) {
    const int task = rows[static_cast<size_t>(row)];
    y_ticker->addTick(row,
                      (model_.isUniformTask(task) ? kWarn : QString()) + model_.taskName(task));
  }
  const int width = std::max(1, first->width() > 0 ? first->width() : 200);
  const int skill_stride = std::max(1, (S * 18 + width - 1) / width);
  for (int s = 0; s < S; s += skill_stride)
    x_ticker->addTick(s, (model_.isCollapsedSkill(s) ? kWarn : QString()) + QString::number(s));
  for (Panel& panel : panels_) {
    panel.rect->axis(QCPAxis::atBottom)->setTicker(x_ticker);
    panel.rect->axis(QCPAxis::atLeft)->setTicker(y_ticker);
  }
}

void RoutingHeatmapView::updateColorScale(double low, double high) {
  if (model_.isDiff()) {
    const double extent = std::max({std::abs(low), std::abs(high), 1e-9});
    scale_->setGradient(divergingGradient());
    scale_->setDataRange(QCPRange(-extent, extent));
    scale_->axis()->setLabel(tr("Δ routing weight since step %1").arg(model_.referenceStep()));
  } else {
    scale_->setGradient(viridisGradient());
    scale_->setDataRange(QCPRange(0.0, high));
    scale_->axis()->setLabel(tr("routing weight"));
  }
}

void RoutingHeatmapView::updateHighlight() {
  const int row = model_.rowOfTask(selection_->highlightedTask());
  for (Panel& panel : panels_) {
    panel.highlight->setVisible(row >= 0);
    if (row < 0) continue;
    const double right = model_.hasShown() ? model_.shown().skills() - 0.5 : 0.5;
    panel.highlight->topLeft->setCoords(-0.5, row - 0.5);
    panel.highlight->bottomRight->setCoords(right, row + 0.5);
  }
}

void RoutingHeatmapView::redrawNow() {
  redraw_pending_ = false;
  model_.update([this](int task) { return selection_->isVisible(task); });
  fillPanels();
  updateHighlight();
  updateBlockChoices();
  flags_label_->setText(flagsText());
  plot()->replot(QCustomPlot::rpQueuedReplot);
}

QString RoutingHeatmapView::flagsText() const {
  if (!model_.hasShown()) {
    if (!model_.problem().isEmpty())
      return tr("Cannot show this routing: %1").arg(model_.problem());
    return model_.currentStep() < 0
               ? tr("No routing snapshot yet.")
               : tr("Loading the routing of step %1…").arg(model_.currentStep());
  }
  QStringList skills, uniform;
  for (int s : model_.flags().collapsed_skills) skills << QString::number(s);
  for (int t : model_.flags().uniform_tasks) uniform << model_.taskName(t);
  QStringList text;
  text << (skills.isEmpty() ? tr("No collapsed skill.")
                            : tr("\u26A0 Collapsed skills (%1): %2")
                                  .arg(skills.size())
                                  .arg(skills.join(QLatin1String(", "))));
  text << (uniform.isEmpty() ? tr("No near-uniform task.")
                             : tr("\u26A0 Near-uniform tasks (%1): %2")
                                   .arg(uniform.size())
                                   .arg(uniform.join(QLatin1String(", "))));
  return text.join(QStringLiteral("  ·  "));
}

RoutingHeatmapView::Cell RoutingHeatmapView::cellAt(const QPoint& pos) const {
  Cell cell;
  if (!model_.hasShown()) return cell;
  const std::vector<int>& rows = model_.rows();
  for (const Panel& panel : panels_) {
    if (!panel.rect->rect().contains(pos)) continue;
    double key = 0.0, value = 0.0;
    panel.map->pixelsToCoords(QPointF(pos), key, value);
    const int skill = static_cast<int>(std::lround(key));
    const int row = static_cast<int>(std::lround(value));
    if (skill < 0 || skill >= model_.shown().skills() || row < 0 ||
        row >= static_cast<int>(rows.size()))
      return cell;
    cell.task = rows[static_cast<size_t>(row)];
    cell.skill = skill;
    cell.block = panel.block;
    cell.value = model_.shown().value(panel.block, cell.task, skill);
    return cell;
  }
  return cell;
}

QPoint RoutingHeatmapView::pixelOf(int task, int skill, int block) const {
  const int row = model_.rowOfTask(task);
  if (!model_.hasShown() || row < 0) return {-1, -1};
  for (const Panel& panel : panels_)
    if (panel.block == block) return panel.map->coordsToPixels(skill, row).toPoint();
  return {-1, -1};
}

QString RoutingHeatmapView::hoverText(const QPoint& pos) const {
  const Cell cell = cellAt(pos);
  if (cell.task < 0) return {};
  QString task = model_.taskName(cell.task);
  if (!model_.taskFamily(cell.task).isEmpty())
    task += QStringLiteral(" (%1)").arg(model_.taskFamily(cell.task));
  QString text = tr("task %1 · skill %2 · layer %3").arg(task).arg(cell.skill).arg(layerLabel());
  if (model_.shown().blocks() > 1) text += QStringLiteral(" · ") + blockName(cell.block);
  text += tr(" · step %1").arg(model_.currentStep());
  if (model_.isDiff()) {
    const double now = model_.shown().base.at(cell.block, cell.task, cell.skill);
    text += tr(" · value %1 (Δ %2 since step %3)")
                .arg(now, 0, 'f', 4)
                .arg(cell.value, 0, 'f', 4)
                .arg(model_.referenceStep());
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
      const auto [group, leaf] = RoutingHeatmapModel::layerGroup(name);
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
    if (!model_.layer().isEmpty() &&
        layer_model_->item(i)->data(kLayerRole).toString() == model_.layer())
      index = i;
  layer_combo_->setCurrentIndex(index);
  updating_controls_ = false;
}

void RoutingHeatmapView::updateBlockChoices() {
  const int n_blocks = model_.hasShown() ? model_.shown().blocks() : 1;
  updating_controls_ = true;
  if (block_combo_->count() != (n_blocks > 1 ? n_blocks + 1 : 0)) {
    block_combo_->clear();
    if (n_blocks > 1) {
      for (int b = 0; b < n_blocks; ++b) block_combo_->addItem(blockName(b), b);
      block_combo_->addItem(tr("all side by side"), -1);
    }
  }
  block_combo_->setVisible(n_blocks > 1);
  const int index = block_combo_->findData(
      model_.block() < 0 || model_.block() >= n_blocks ? -1 : model_.block());
  if (index >= 0) block_combo_->setCurrentIndex(index);
  updating_controls_ = false;
}

void RoutingHeatmapView::updateStepControls() {
  updating_controls_ = true;
  const std::vector<int64_t>& steps = model_.steps();
  const int64_t current = model_.currentStep();
  const int n = static_cast<int>(steps.size());
  step_slider_->setRange(0, std::max(0, n - 1));
  step_slider_->setEnabled(n > 1);
  const auto it = std::lower_bound(steps.begin(), steps.end(), current);
  if (it != steps.end()) step_slider_->setValue(static_cast<int>(it - steps.begin()));
  const bool adapted = !steps.empty() && steps.back() == RoutingHeatmapModel::kAdaptedStep;
  const int64_t last_trained = adapted ? (n > 1 ? steps[steps.size() - 2] : 0) : -1;
  if (n == 0) {
    step_label_->setText(tr("no snapshot"));
  } else if (current == RoutingHeatmapModel::kAdaptedStep) {
    step_label_->setText(tr("after few-shot adaptation (held-out rows, each on its own)"));
  } else {
    step_label_->setText(
        tr("step %1 of %2").arg(current).arg(adapted ? last_trained : steps.back()));
  }
  if (reference_combo_->count() != n) {
    reference_combo_->clear();
    for (int64_t step : steps)
      reference_combo_->addItem(
          step == RoutingHeatmapModel::kAdaptedStep ? tr("adapted") : QString::number(step),
          QVariant::fromValue<qlonglong>(step));
  }
  const int reference =
      reference_combo_->findData(QVariant::fromValue<qlonglong>(model_.referenceStep()));
  if (reference >= 0) reference_combo_->setCurrentIndex(reference);
  reference_combo_->setEnabled(model_.isDiff());
  diff_check_->setChecked(model_.isDiff());
  updating_controls_ = false;
}

QString RoutingHeatmapView::exportTo(const QString& path) {
  if (redraw_pending_) redrawNow();
  if (!path.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive)) return panel_->exportImage(path);
  if (!model_.hasShown()) return tr("no routing to export to %1").arg(path);
  const RoutingHeatmapModel::Shown& shown = model_.shown();
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Text))
    return tr("could not open %1 for writing: %2").arg(path, file.errorString());
  QTextStream out(&file);
  QStringList header = {
      QStringLiteral("task"), QStringLiteral("family"),
      shown.kind == RoutingKind::kOrders ? QStringLiteral("order") : QStringLiteral("split")};
  for (int s = 0; s < shown.skills(); ++s) header << QStringLiteral("skill_%1").arg(s);
  out << csvLine(header) << '\n';
  for (int task : model_.rows())
    for (int b = 0; b < shown.blocks(); ++b) {
      QStringList fields = {model_.taskName(task), model_.taskFamily(task), QString::number(b + 1)};
      for (int s = 0; s < shown.skills(); ++s)
        fields << QString::number(shown.value(b, task, s), 'g', 9);
      out << csvLine(fields) << '\n';
    }
  out.flush();
  if (!file.commit()) return tr("could not write %1: %2").arg(path, file.errorString());
  return {};
}

}  // namespace tensorpoly::ui
