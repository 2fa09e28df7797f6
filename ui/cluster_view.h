// Task clustering: the task-similarity matrix of the routing, reordered by the
// dendrogram that is drawn beside it; linkage and cut controls (k clusters or a
// distance); the clusters with their tasks; agreement with the known task families
// (ARI, NMI). Computed with tensorpoly::analysis (SciPy's linkage/fcluster/dendrogram
// order).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QPointer>
#include <QWidget>
#include <cstdint>
#include <vector>

#include "tensorpoly/analysis.h"
#include "tensorpoly/routing.h"
#include "ui/task_selection.h"

class QComboBox;
class QCPAxisRect;
class QCPColorMap;
class QCPColorScale;
class QCPCurve;
class QCPItemRect;
class QCPItemStraightLine;
class QCustomPlot;
class QDoubleSpinBox;
class QLabel;
class QSpinBox;
class QStandardItemModel;
class QTableView;

namespace tensorpoly::ui {

class PlotPanel;

class ClusterView : public QWidget {
  Q_OBJECT

 public:
  enum class CutMode { kClusters, kDistance };

  explicit ClusterView(QWidget* parent = nullptr);

  void setSelection(TaskSelection* selection);
  TaskSelection* selection() const { return selection_; }

  // The routing of one snapshot (every adapted layer) and the run's tasks.
  void setRouting(const std::vector<RoutingMatrix>& layers, const TaskLabels& tasks);
  void clear();

  void setLinkage(analysis::Linkage linkage);
  void setScope(analysis::LayerScope scope);
  // k = 0: the number of known families, else round(sqrt(n / 2)), as the CLI report.
  void setClusterCount(int k);
  void setDistanceCut(double threshold);
  void setCutMode(CutMode mode);

  // Results of the last computation (empty / NaN before one or after an error).
  const analysis::Matrix& similarity() const { return similarity_; }
  const std::vector<int64_t>& leafOrder() const { return leaf_order_; }
  const std::vector<int>& clusterLabels() const { return labels_; }  // 1-based, by task
  double adjustedRandIndex() const { return ari_; }                  // NaN: no families
  double normalizedMutualInformation() const { return nmi_; }        // NaN: no families
  QString agreementText() const;
  QString errorText() const { return error_; }
  QStandardItemModel* clusterTable() const { return cluster_model_; }

  // "a × b: similarity …" for the plot pixel `pos` over the heatmap; empty elsewhere.
  QString hoverText(const QPoint& pos) const;
  QPoint pixelOf(int row_task, int column_task) const;

  // .png / .pdf: the plot; .csv: the cluster table. "" or an error naming the file.
  QString exportTo(const QString& path);
  // One line per task: task, family, cluster, dendrogram position.
  QString exportAssignments(const QString& path) const;

  QCustomPlot* plot() const { return plot_; }
  PlotPanel* plotPanel() const { return panel_; }

 Q_SIGNALS:
  // The dendrogram's leaf order changed (feed RoutingHeatmapView::setClusterOrder).
  void clusterOrderChanged(const std::vector<int64_t>& leaf_order);
  void taskClicked(int task);

 private:
  void buildPlot();
  void buildControls();
  void connectControls();
  void recompute();  // similarity + linkage
  void recut();      // flat clusters, agreement, table, drawing
  void draw();
  void drawSimilarity();
  void drawDendrogram();
  void drawClusterBoxes();
  void updateHighlight();
  int cutClusterCount() const;

  std::vector<RoutingMatrix> routing_;
  TaskLabels tasks_;
  analysis::Linkage linkage_ = analysis::Linkage::kAverage;
  analysis::LayerScope scope_ = analysis::LayerScope::kAll;
  CutMode cut_mode_ = CutMode::kClusters;
  int cluster_count_ = 0;
  double distance_cut_ = 0.5;

  analysis::Matrix similarity_;
  std::vector<analysis::Merge> merges_;
  std::vector<int64_t> leaf_order_;
  std::vector<int> position_of_task_;
  std::vector<int> labels_;
  double ari_ = 0.0, nmi_ = 0.0;
  double cut_height_ = 0.0;
  QString error_;

  QPointer<TaskSelection> selection_;
  TaskSelection* own_selection_ = nullptr;
  QMetaObject::Connection highlight_connection_;

  PlotPanel* panel_ = nullptr;
  QCustomPlot* plot_ = nullptr;  // panel_->plot()
  QCPAxisRect* tree_rect_ = nullptr;
  QCPAxisRect* map_rect_ = nullptr;
  QCPColorMap* map_ = nullptr;
  QCPColorScale* scale_ = nullptr;
  std::vector<QCPCurve*> tree_curves_;
  std::vector<QCPItemRect*> cluster_boxes_;
  QCPItemStraightLine* cut_line_ = nullptr;
  QCPItemRect* highlight_row_ = nullptr;
  QCPItemRect* highlight_column_ = nullptr;

  QComboBox* linkage_combo_ = nullptr;
  QComboBox* scope_combo_ = nullptr;
  QComboBox* cut_combo_ = nullptr;
  QSpinBox* k_spin_ = nullptr;
  QDoubleSpinBox* distance_spin_ = nullptr;
  QLabel* agreement_label_ = nullptr;
  QStandardItemModel* cluster_model_ = nullptr;
  QTableView* cluster_table_ = nullptr;
  bool updating_controls_ = false;
};

}  // namespace tensorpoly::ui
