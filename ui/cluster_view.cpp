// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/cluster_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMap>
#include <QSaveFile>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTableView>
#include <QTextStream>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "ui/palette.h"
#include "ui/plot_export.h"
#include "ui/plot_panel.h"
#include "ui/qcustomplot_include.h"

namespace tensorpoly::ui {
namespace {

constexpr int kLabelSpacingPx = 13;
const double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

ClusterView::ClusterView(QWidget* parent) : QWidget(parent) {
  own_selection_ = new TaskSelection(this);
  panel_ = new PlotPanel(this, {QSize(300, 240), false, /*empty_layout=*/true});
  plot_ = panel_->plot();
  buildPlot();
  buildControls();
  const ExportTarget plot_target{tr("clustering plot"),
                                 {QStringLiteral("png"), QStringLiteral("pdf")},
                                 [this](const QString& path) { return exportTo(path); }};
  const ExportTarget table_target{tr("cluster table"),
                                  {QStringLiteral("csv")},
                                  [this](const QString& path) { return exportTo(path); }};
  const ExportTarget assignment_target{
      tr("task assignments"), {QStringLiteral("csv")}, [this](const QString& path) {
        return exportAssignments(path);
      }};
  panel_->addExport(plot_target);
  panel_->addExport(table_target, PlotPanel::ExportPlace::kMenuOnly);
  panel_->addExport(assignment_target);
  installExportContextMenu(cluster_table_, {table_target, assignment_target});
  panel_->setHoverText([this](const QPoint& pos) { return hoverText(pos); });
  connectControls();
  setSelection(own_selection_);
  recut();
}

void ClusterView::buildPlot() {
  tree_rect_ = new QCPAxisRect(plot_);
  map_rect_ = new QCPAxisRect(plot_);
  scale_ = new QCPColorScale(plot_);
  plot_->plotLayout()->addElement(0, 0, tree_rect_);
  plot_->plotLayout()->addElement(0, 1, map_rect_);
  plot_->plotLayout()->addElement(0, 2, scale_);
  plot_->plotLayout()->setColumnStretchFactors({1.0, 3.0, 0.1});
  auto* group = new QCPMarginGroup(plot_);
  for (QCPLayoutElement* element :
       {static_cast<QCPLayoutElement*>(tree_rect_), static_cast<QCPLayoutElement*>(map_rect_),
        static_cast<QCPLayoutElement*>(scale_)})
    element->setMarginGroup(QCP::msTop | QCP::msBottom, group);
  tree_rect_->axis(QCPAxis::atLeft)->setVisible(false);
  tree_rect_->axis(QCPAxis::atLeft)->setRangeReversed(true);
  tree_rect_->axis(QCPAxis::atBottom)->setRangeReversed(true);  // root on the left
  tree_rect_->axis(QCPAxis::atBottom)->setLabel(tr("merge distance"));
  tree_rect_->axis(QCPAxis::atBottom)->grid()->setVisible(false);
  tree_rect_->axis(QCPAxis::atLeft)->grid()->setVisible(false);
  map_rect_->axis(QCPAxis::atLeft)->setRangeReversed(true);
  map_rect_->axis(QCPAxis::atLeft)->grid()->setVisible(false);
  map_rect_->axis(QCPAxis::atBottom)->grid()->setVisible(false);
  map_rect_->axis(QCPAxis::atBottom)->setTickLabelRotation(60);
  map_ = new QCPColorMap(map_rect_->axis(QCPAxis::atBottom), map_rect_->axis(QCPAxis::atLeft));
  map_->setInterpolate(false);
  map_->setColorScale(scale_);
  scale_->setType(QCPAxis::atRight);
  scale_->setGradient(viridisGradient());
  scale_->axis()->setLabel(tr("cosine similarity of routing"));
  cut_line_ = new QCPItemStraightLine(plot_);
  cut_line_->setClipAxisRect(tree_rect_);
  cut_line_->point1->setAxes(tree_rect_->axis(QCPAxis::atBottom),
                             tree_rect_->axis(QCPAxis::atLeft));
  cut_line_->point2->setAxes(tree_rect_->axis(QCPAxis::atBottom),
                             tree_rect_->axis(QCPAxis::atLeft));
  cut_line_->setPen(QPen(QColor(200, 30, 30), 1, Qt::DashLine));
  for (QCPItemRect** rect : {&highlight_row_, &highlight_column_}) {
    *rect = new QCPItemRect(plot_);
    (*rect)->setClipAxisRect(map_rect_);
    (*rect)->topLeft->setAxes(map_rect_->axis(QCPAxis::atBottom), map_rect_->axis(QCPAxis::atLeft));
    (*rect)->bottomRight->setAxes(map_rect_->axis(QCPAxis::atBottom),
                                  map_rect_->axis(QCPAxis::atLeft));
    (*rect)->setPen(QPen(QColor(230, 30, 30), 2));
    (*rect)->setVisible(false);
  }
}

void ClusterView::buildControls() {
  linkage_combo_ = new QComboBox(this);
  for (auto linkage : {analysis::Linkage::kSingle, analysis::Linkage::kComplete,
                       analysis::Linkage::kAverage, analysis::Linkage::kWard})
    linkage_combo_->addItem(QString::fromLatin1(analysis::linkage_name(linkage)),
                            static_cast<int>(linkage));
  linkage_combo_->setCurrentIndex(2);
  linkage_combo_->setToolTip(tr("Linkage (SciPy); ward uses euclidean distances of the routing"));
  scope_combo_ = new QComboBox(this);
  scope_combo_->addItem(tr("All layers"), static_cast<int>(analysis::LayerScope::kAll));
  scope_combo_->addItem(tr("Encoder"), static_cast<int>(analysis::LayerScope::kEncoder));
  scope_combo_->addItem(tr("Decoder"), static_cast<int>(analysis::LayerScope::kDecoder));
  cut_combo_ = new QComboBox(this);
  cut_combo_->addItems({tr("k clusters"), tr("distance ≤")});
  k_spin_ = new QSpinBox(this);
  k_spin_->setRange(0, 1000000);
  k_spin_->setSpecialValueText(tr("auto"));
  k_spin_->setToolTip(tr("Number of clusters; auto: the number of known families, else √(n/2)"));
  distance_spin_ = new QDoubleSpinBox(this);
  distance_spin_->setRange(0.0, 1e6);
  distance_spin_->setDecimals(4);
  distance_spin_->setSingleStep(0.01);
  distance_spin_->setValue(distance_cut_);
  distance_spin_->setVisible(false);
  heldout_check_ = new QCheckBox(tr("Include held-out tasks"), this);
  heldout_check_->setToolTip(
      tr("Held-out tasks' router rows never trained (or only on their few-shot examples); "
         "by default only the tasks the router was trained on are clustered"));
  agreement_label_ = new QLabel(this);
  agreement_label_->setObjectName(QStringLiteral("clusterAgreement"));
  agreement_label_->setWordWrap(true);  // long agreement lines must not widen the dock

  cluster_model_ = new QStandardItemModel(0, 4, this);
  cluster_model_->setHorizontalHeaderLabels(
      {tr("Cluster"), tr("Size"), tr("Tasks"), tr("Families")});
  cluster_table_ = new QTableView(this);
  cluster_table_->setModel(cluster_model_);
  cluster_table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  cluster_table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  cluster_table_->horizontalHeader()->setStretchLastSection(true);
  cluster_table_->verticalHeader()->setVisible(false);

  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel(tr("Linkage"), this));
  controls->addWidget(linkage_combo_);
  controls->addWidget(scope_combo_);
  controls->addWidget(new QLabel(tr("Cut"), this));
  controls->addWidget(cut_combo_);
  controls->addWidget(k_spin_);
  controls->addWidget(distance_spin_);
  controls->addStretch(1);
  controls->addWidget(panel_->exportButton());
  auto* splitter = new QSplitter(Qt::Vertical, this);
  splitter->addWidget(plot_);
  splitter->addWidget(cluster_table_);
  splitter->setStretchFactor(0, 3);
  splitter->setStretchFactor(1, 1);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(controls);
  // Which tasks, then what they agree with: a row of its own, so that the controls row
  // stays narrow enough for a laptop screen.
  auto* scope = new QHBoxLayout;
  scope->addWidget(heldout_check_, 0, Qt::AlignTop);
  scope->addWidget(agreement_label_, 1);
  layout->addLayout(scope);
  layout->addWidget(splitter, 1);
  layout->addWidget(panel_->readout());
}

void ClusterView::connectControls() {
  connect(linkage_combo_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int index) {
    if (!updating_controls_ && index >= 0)
      setLinkage(static_cast<analysis::Linkage>(linkage_combo_->itemData(index).toInt()));
  });
  connect(scope_combo_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int index) {
    if (!updating_controls_ && index >= 0)
      setScope(static_cast<analysis::LayerScope>(scope_combo_->itemData(index).toInt()));
  });
  connect(cut_combo_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int index) {
    if (!updating_controls_) setCutMode(index == 1 ? CutMode::kDistance : CutMode::kClusters);
  });
  connect(k_spin_, qOverload<int>(&QSpinBox::valueChanged), this, [this](int k) {
    if (!updating_controls_) setClusterCount(k);
  });
  connect(distance_spin_, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [this](double d) {
    if (!updating_controls_) setDistanceCut(d);
  });
  connect(heldout_check_, &QCheckBox::toggled, this, [this](bool on) {
    if (!updating_controls_) setIncludeHeldout(on);
  });
  connect(panel_, &PlotPanel::clicked, this, [this](const QPoint& pos) {
    if (leaf_order_.empty() || !map_rect_->rect().contains(pos)) return;
    const double row = map_rect_->axis(QCPAxis::atLeft)->pixelToCoord(pos.y());
    const auto position = static_cast<int64_t>(std::lround(row));
    if (position < 0 || position >= static_cast<int64_t>(leaf_order_.size())) return;
    const int task = rows_[static_cast<size_t>(leaf_order_[static_cast<size_t>(position)])];
    selection_->toggleHighlight(task);
    Q_EMIT taskClicked(task);
  });
}

void ClusterView::setSelection(TaskSelection* selection) {
  if (selection == nullptr) selection = own_selection_;
  disconnect(highlight_connection_);
  selection_ = selection;
  selection_->setTaskCount(static_cast<int>(all_tasks_.size()));
  highlight_connection_ = connect(selection_, &TaskSelection::highlightedTaskChanged, this, [this] {
    updateHighlight();
    plot_->replot(QCustomPlot::rpQueuedReplot);
  });
  updateHighlight();
}

void ClusterView::setLinkage(analysis::Linkage linkage) {
  linkage_ = linkage;
  updating_controls_ = true;
  linkage_combo_->setCurrentIndex(linkage_combo_->findData(static_cast<int>(linkage)));
  updating_controls_ = false;
  recompute();
}

void ClusterView::setScope(analysis::LayerScope scope) {
  scope_ = scope;
  updating_controls_ = true;
  scope_combo_->setCurrentIndex(scope_combo_->findData(static_cast<int>(scope)));
  updating_controls_ = false;
  recompute();
}

void ClusterView::setClusterCount(int k) {
  cluster_count_ = std::max(0, k);
  updating_controls_ = true;
  k_spin_->setValue(cluster_count_);
  updating_controls_ = false;
  setCutMode(CutMode::kClusters);
}

void ClusterView::setDistanceCut(double threshold) {
  distance_cut_ = std::max(0.0, threshold);
  updating_controls_ = true;
  distance_spin_->setValue(distance_cut_);
  updating_controls_ = false;
  setCutMode(CutMode::kDistance);
}

void ClusterView::setCutMode(CutMode mode) {
  cut_mode_ = mode;
  updating_controls_ = true;
  cut_combo_->setCurrentIndex(mode == CutMode::kDistance ? 1 : 0);
  k_spin_->setVisible(mode == CutMode::kClusters);
  distance_spin_->setVisible(mode == CutMode::kDistance);
  updating_controls_ = false;
  recut();
}

int ClusterView::cutClusterCount() const {
  if (cluster_count_ > 0) return cluster_count_;
  return analysis::default_cluster_count(taskInfos(tasks_));  // as tensorpoly-run analyze
}

void ClusterView::recompute() {
  error_.clear();
  similarity_ = {};
  merges_.clear();
  leaf_order_.clear();
  const auto n = static_cast<int64_t>(tasks_.size());
  if (!all_routing_.empty() && !all_tasks_.empty()) {
    try {
      if (all_routing_.front().n_tasks() != static_cast<int64_t>(all_tasks_.size()))
        throw std::invalid_argument("the routing has " +
                                    std::to_string(all_routing_.front().n_tasks()) +
                                    " tasks, the run " + std::to_string(all_tasks_.size()));
      if (routing_.empty())
        throw std::invalid_argument("the layers do not all have one row per task");
      analysis::LayerSelection layers;
      layers.scope = scope_;
      const analysis::TaskVectors vectors = analysis::task_vectors(routing_, layers);
      for (int64_t task = 0; task < n; ++task) {
        const double* row = vectors.vectors.row(task);
        if (std::all_of(row, row + vectors.vectors.cols, [](double v) { return v == 0.0; }))
          throw std::invalid_argument("task '" +
                                      tasks_[static_cast<size_t>(task)].name.toStdString() +
                                      "' has no routing weight in the selected layers, so its "
                                      "cosine similarity is undefined");
      }
      similarity_ = analysis::similarity_matrix(vectors.vectors, analysis::Similarity::kCosine);
      if (n > 1) {
        merges_ =
            linkage_ == analysis::Linkage::kWard
                ? analysis::linkage(vectors.vectors, linkage_, analysis::Distance::kEuclidean)
                : analysis::linkage(analysis::distances_from_similarity(similarity_), n, linkage_);
        leaf_order_ = analysis::leaf_order(merges_);
      } else {
        leaf_order_ = {0};
      }
    } catch (const std::exception& error) {
      error_ = tr("Cannot cluster this routing: %1").arg(QString::fromStdString(error.what()));
      similarity_ = {};
      merges_.clear();
      leaf_order_.clear();
    }
  }
  position_of_task_.assign(tasks_.size(), -1);
  for (size_t i = 0; i < leaf_order_.size(); ++i)
    position_of_task_[static_cast<size_t>(leaf_order_[i])] = static_cast<int>(i);
  recut();
  // Every run task in order for the heatmap: the clustered ones, then those left out.
  std::vector<int64_t> order;
  if (!leaf_order_.empty()) {
    order = leafOrder();
    for (size_t task = 0; task < position_of_row_.size(); ++task) {
      if (position_of_row_[task] < 0) order.push_back(static_cast<int64_t>(task));
    }
  }
  Q_EMIT clusterOrderChanged(order);
}

void ClusterView::recut() {
  labels_.clear();
  agreement_ = {};
  for (double* value :
       {&agreement_.ari_vs_families, &agreement_.nmi_vs_families, &agreement_.ari_vs_modifiers,
        &agreement_.nmi_vs_modifiers, &agreement_.spearman_similarity_vs_skill_overlap,
        &agreement_.spearman_p_value})
    *value = kNaN;
  const auto n = static_cast<int64_t>(leaf_order_.size());
  if (n == 1) labels_ = {1};
  if (n > 1) {
    if (cut_mode_ == CutMode::kClusters) {
      const int k = std::clamp<int>(cutClusterCount(), 1, static_cast<int>(n));
      labels_ = analysis::cut_into_clusters(merges_, k);
      // The cut line between the merge that leaves k clusters and the next one.
      const double below = k >= n ? 0.0 : merges_[static_cast<size_t>(n - k - 1)].distance;
      const double above =
          k <= 1 ? merges_.back().distance * 1.05 : merges_[static_cast<size_t>(n - k)].distance;
      cut_height_ = (below + above) / 2.0;
    } else {
      labels_ = analysis::cut_at_distance(merges_, distance_cut_);
      cut_height_ = distance_cut_;
    }
  }
  // Agreement with each planted factor, as tensorpoly-run analyze computes it.
  if (!labels_.empty() && labels_.size() == tasks_.size() &&
      similarity_.rows == static_cast<int64_t>(tasks_.size()))
    agreement_ = analysis::agreement_with_ground_truth(similarity_, labels_, taskInfos(tasks_));
  agreement_label_->setText(agreementText());

  // The cluster table, clusters in dendrogram order.
  cluster_model_->removeRows(0, cluster_model_->rowCount());
  std::vector<int> cluster_order;
  for (int64_t task : leaf_order_) {
    const int label = labels_.empty() ? 0 : labels_[static_cast<size_t>(task)];
    if (std::find(cluster_order.begin(), cluster_order.end(), label) == cluster_order.end())
      cluster_order.push_back(label);
  }
  for (int label : cluster_order) {
    QStringList names;
    QMap<QString, int> families;
    for (int64_t task : leaf_order_) {
      if (labels_[static_cast<size_t>(task)] != label) continue;
      names << tasks_[static_cast<size_t>(task)].name;
      if (!tasks_[static_cast<size_t>(task)].family.isEmpty())
        ++families[tasks_[static_cast<size_t>(task)].family];
    }
    QStringList family_text;
    for (auto it = families.cbegin(); it != families.cend(); ++it)
      family_text << QStringLiteral("%1 ×%2").arg(it.key()).arg(it.value());
    auto* id = new QStandardItem;
    id->setData(label, Qt::DisplayRole);
    id->setData(categoricalColor(label - 1), Qt::DecorationRole);
    auto* size = new QStandardItem;
    size->setData(static_cast<int>(names.size()), Qt::DisplayRole);
    cluster_model_->appendRow({id, size, new QStandardItem(names.join(QLatin1String(", "))),
                               new QStandardItem(family_text.join(QLatin1String(", ")))});
  }
  draw();
}

void ClusterView::draw() {
  for (QCPCurve* curve : tree_curves_) plot_->removePlottable(curve);
  tree_curves_.clear();
  for (QCPItemRect* box : cluster_boxes_) plot_->removeItem(box);
  cluster_boxes_.clear();
  drawSimilarity();
  const auto n = static_cast<int>(leaf_order_.size());
  if (n > 1 && merges_.size() == static_cast<size_t>(n - 1)) {
    drawDendrogram();
    drawClusterBoxes();
  } else {
    cut_line_->setVisible(false);
  }
  updateHighlight();
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

void ClusterView::drawSimilarity() {
  // Similarity in dendrogram order.
  const auto n = static_cast<int>(leaf_order_.size());
  if (n > 0 && similarity_.rows == n) {
    auto* data = new QCPColorMapData(n, n, QCPRange(0, n - 1), QCPRange(0, n - 1));
    double low = 1.0;
    for (int row = 0; row < n; ++row)
      for (int column = 0; column < n; ++column) {
        const double v = similarity_.at(leaf_order_[static_cast<size_t>(row)],
                                        leaf_order_[static_cast<size_t>(column)]);
        data->setCell(column, row, v);
        low = std::min(low, v);
      }
    map_->setData(data, false);
    scale_->setDataRange(QCPRange(std::min(low, 0.999), 1.0));
  } else {
    map_->data()->clear();
  }
  const auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  const int height =
      map_rect_->height() > 0 ? map_rect_->height() : std::max(1, plot_->height() - 80);
  const int stride = std::max(1, (n * kLabelSpacingPx + height - 1) / std::max(1, height));
  for (int position = 0; position < n; position += stride)
    ticker->addTick(position,
                    tasks_[static_cast<size_t>(leaf_order_[static_cast<size_t>(position)])].name);
  map_rect_->axis(QCPAxis::atBottom)->setTicker(ticker);
  map_rect_->axis(QCPAxis::atLeft)->setTicker(ticker);
  const double extent = std::max(0, n - 1) + 0.5;
  map_rect_->axis(QCPAxis::atBottom)->setRange(-0.5, extent);
  map_rect_->axis(QCPAxis::atLeft)->setRange(-0.5, extent);
  tree_rect_->axis(QCPAxis::atLeft)->setRange(-0.5, extent);
}

void ClusterView::drawDendrogram() {
  // Node positions as in SciPy's plot (leaves at their order, a merge midway
  // between its children), links coloured by cluster below the cut.
  const auto n = static_cast<int>(leaf_order_.size());
  QCPAxis* tree_x = tree_rect_->axis(QCPAxis::atBottom);
  QCPAxis* tree_y = tree_rect_->axis(QCPAxis::atLeft);
  std::vector<double> y(static_cast<size_t>(2 * n - 1)),
      height_of(static_cast<size_t>(2 * n - 1), 0.0);
  std::vector<int> label_of(static_cast<size_t>(2 * n - 1), 0);
  for (int task = 0; task < n; ++task) {
    y[static_cast<size_t>(task)] = position_of_task_[static_cast<size_t>(task)];
    label_of[static_cast<size_t>(task)] = labels_[static_cast<size_t>(task)];
  }
  QMap<int, QVector<QCPCurveData>> segments;  // cluster label (0: above the cut) -> polyline
  for (int i = 0; i < n - 1; ++i) {
    const analysis::Merge& merge = merges_[static_cast<size_t>(i)];
    const auto node = static_cast<size_t>(n) + static_cast<size_t>(i);
    const auto l = static_cast<size_t>(merge.left), r = static_cast<size_t>(merge.right);
    y[node] = (y[l] + y[r]) / 2.0;
    height_of[node] = merge.distance;
    label_of[node] = label_of[l] == label_of[r] ? label_of[l] : 0;
    auto& line = segments[label_of[node]];
    const double t = line.size();
    line << QCPCurveData(t, height_of[l], y[l]) << QCPCurveData(t + 1, merge.distance, y[l])
         << QCPCurveData(t + 2, merge.distance, y[r]) << QCPCurveData(t + 3, height_of[r], y[r])
         << QCPCurveData(t + 4, kNaN, kNaN);  // a gap before the next link
  }
  for (auto it = segments.cbegin(); it != segments.cend(); ++it) {
    auto* curve = new QCPCurve(tree_x, tree_y);
    curve->data()->set(it.value(), true);
    curve->setPen(QPen(it.key() == 0 ? QColor(90, 90, 90) : categoricalColor(it.key() - 1), 1.2));
    curve->setAntialiased(false);
    tree_curves_.push_back(curve);
  }
  tree_x->setRange(0.0, std::max(merges_.back().distance, cut_height_) * 1.05 + 1e-9);
  cut_line_->setVisible(true);
  cut_line_->point1->setCoords(cut_height_, 0);
  cut_line_->point2->setCoords(cut_height_, 1);
}

void ClusterView::drawClusterBoxes() {
  // A box around each cluster on the diagonal (flat clusters are contiguous leaves).
  const auto n = static_cast<int>(leaf_order_.size());
  QCPAxis* map_x = map_rect_->axis(QCPAxis::atBottom);
  QCPAxis* map_y = map_rect_->axis(QCPAxis::atLeft);
  int start = 0;
  for (int position = 1; position <= n; ++position) {
    const bool boundary =
        position == n || labels_[static_cast<size_t>(leaf_order_[static_cast<size_t>(position)])] !=
                             labels_[static_cast<size_t>(leaf_order_[static_cast<size_t>(start)])];
    if (!boundary) continue;
    auto* box = new QCPItemRect(plot_);
    box->setClipAxisRect(map_rect_);
    box->topLeft->setAxes(map_x, map_y);
    box->bottomRight->setAxes(map_x, map_y);
    box->topLeft->setCoords(start - 0.5, start - 0.5);
    box->bottomRight->setCoords(position - 0.5, position - 0.5);
    box->setPen(QPen(Qt::white, 1.5));
    cluster_boxes_.push_back(box);
    start = position;
  }
}

void ClusterView::updateHighlight() {
  const int run_task = selection_ ? selection_->highlightedTask() : -1;
  const int task = run_task >= 0 && run_task < static_cast<int>(position_of_row_.size())
                       ? position_of_row_[static_cast<size_t>(run_task)]
                       : -1;
  const int position = task >= 0 && task < static_cast<int>(position_of_task_.size())
                           ? position_of_task_[static_cast<size_t>(task)]
                           : -1;
  const int n = static_cast<int>(leaf_order_.size());
  highlight_row_->setVisible(position >= 0);
  highlight_column_->setVisible(position >= 0);
  if (position < 0) return;
  highlight_row_->topLeft->setCoords(-0.5, position - 0.5);
  highlight_row_->bottomRight->setCoords(n - 0.5, position + 0.5);
  highlight_column_->topLeft->setCoords(position - 0.5, -0.5);
  highlight_column_->bottomRight->setCoords(position + 0.5, n - 0.5);
}

QString ClusterView::hoverText(const QPoint& pos) const {
  const auto n = static_cast<int64_t>(leaf_order_.size());
  if (n == 0 || similarity_.rows != n || !map_rect_->rect().contains(pos)) return {};
  const auto column =
      static_cast<int64_t>(std::lround(map_rect_->axis(QCPAxis::atBottom)->pixelToCoord(pos.x())));
  const auto row =
      static_cast<int64_t>(std::lround(map_rect_->axis(QCPAxis::atLeft)->pixelToCoord(pos.y())));
  if (row < 0 || row >= n || column < 0 || column >= n) return {};
  const auto a = static_cast<size_t>(leaf_order_[static_cast<size_t>(row)]);
  const auto b = static_cast<size_t>(leaf_order_[static_cast<size_t>(column)]);
  return tr("%1 (cluster %2) × %3 (cluster %4): similarity %5")
      .arg(tasks_[a].name)
      .arg(labels_.empty() ? 0 : labels_[a])
      .arg(tasks_[b].name)
      .arg(labels_.empty() ? 0 : labels_[b])
      .arg(similarity_.at(static_cast<int64_t>(a), static_cast<int64_t>(b)), 0, 'f', 4);
}

QPoint ClusterView::pixelOf(int row_run_task, int column_run_task) const {
  auto clustered = [&](int run_task) {
    return run_task >= 0 && run_task < static_cast<int>(position_of_row_.size())
               ? position_of_row_[static_cast<size_t>(run_task)]
               : -1;
  };
  const int row_task = clustered(row_run_task), column_task = clustered(column_run_task);
  if (row_task < 0 || column_task < 0 || row_task >= static_cast<int>(position_of_task_.size()) ||
      column_task >= static_cast<int>(position_of_task_.size()))
    return {-1, -1};
  return map_
      ->coordsToPixels(position_of_task_[static_cast<size_t>(column_task)],
                       position_of_task_[static_cast<size_t>(row_task)])
      .toPoint();
}

QString ClusterView::exportTo(const QString& path) {
  if (path.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive))
    return exportModelCsv(cluster_model_, path);
  return panel_->exportImage(path);
}

QString ClusterView::exportAssignments(const QString& path) const {
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Text))
    return tr("could not open %1 for writing: %2").arg(path, file.errorString());
  QTextStream out(&file);
  out << csvLine({QStringLiteral("task"), QStringLiteral("family"), QStringLiteral("cluster"),
                  QStringLiteral("dendrogram_position")})
      << '\n';
  for (size_t task = 0; task < tasks_.size() && task < labels_.size(); ++task)
    out << csvLine({tasks_[task].name, tasks_[task].family, QString::number(labels_[task]),
                    QString::number(position_of_task_[task])})
        << '\n';
  out.flush();
  if (!file.commit()) return tr("could not write %1: %2").arg(path, file.errorString());
  return {};
}

}  // namespace tensorpoly::ui
