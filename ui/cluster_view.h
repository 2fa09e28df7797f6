// Task clustering: the task-similarity matrix of the routing, reordered by the
// dendrogram that is drawn beside it; linkage and cut controls (k clusters or a
// distance); the clusters with their tasks; agreement with each planted factor (ARI and
// NMI against families and modifiers, Spearman of routing similarity vs skill overlap
// with its permutation p-value), saying at which step and on which tasks it is computed.
// Only the tasks the router was trained on are clustered unless "Include held-out tasks"
// is on: held-out rows never trained. Computed with tensorpoly::analysis (SciPy's
// linkage/fcluster/dendrogram order), as tensorpoly-run analyze.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QPointer>
#include <QWidget>
#include <cstdint>
#include <vector>

#include "tensorpoly/analysis.h"
#include "tensorpoly/routing.h"
#include "ui/task_selection.h"

class QCheckBox;
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

  // The routing of one snapshot (every adapted layer) taken at `step` (-1: unknown) and
  // the run's tasks (every row of the routing, held-out ones included).
  void setRouting(const std::vector<RoutingMatrix>& layers, const TaskLabels& tasks,
                  int64_t step = -1);
  void clear();
  // Whether held-out tasks are clustered too (off by default).
  void setIncludeHeldout(bool include);

  void setLinkage(analysis::Linkage linkage);
  void setScope(analysis::LayerScope scope);
  // k = 0: the number of known families, else round(sqrt(n / 2)), as the CLI report.
  void setClusterCount(int k);
  void setDistanceCut(double threshold);
  void setCutMode(CutMode mode);

  // Results of the last computation (empty / NaN before one or after an error), over
  // the clustered tasks: similarity and labels by position in clusteredTasks().
  const std::vector<int>& clusteredTasks() const { return rows_; }  // run task indices
  const analysis::Matrix& similarity() const { return similarity_; }
  std::vector<int64_t> leafOrder() const;  // run task indices, dendrogram order
  const std::vector<int>& clusterLabels() const { return labels_; }  // 1-based
  const analysis::Agreement& agreement() const { return agreement_; }
  double adjustedRandIndex() const { return agreement_.ari_vs_families; }  // NaN: no families
  double normalizedMutualInformation() const { return agreement_.nmi_vs_families; }
  QString agreementText() const;
  QString errorText() const { return error_; }
  QStandardItemModel* clusterTable() const { return cluster_model_; }

  // "a × b: similarity …" for the plot pixel `pos` over the heatmap; empty elsewhere.
  QString hoverText(const QPoint& pos) const;
  // The pixel of the cell of two run tasks; (-1, -1) when either is not clustered.
  QPoint pixelOf(int row_task, int column_task) const;

  // .png / .pdf: the plot; .csv: the cluster table. "" or an error naming the file.
  QString exportTo(const QString& path);
  // One line per task: task, family, cluster, dendrogram position.
  QString exportAssignments(const QString& path) const;

  QCustomPlot* plot() const { return plot_; }
  PlotPanel* plotPanel() const { return panel_; }

 Q_SIGNALS:
  // The dendrogram's leaf order changed (feed RoutingHeatmapView::setClusterOrder): run
  // task indices, the tasks left out of the clustering last.
  void clusterOrderChanged(const std::vector<int64_t>& leaf_order);
  void taskClicked(int task);

 private:
  void buildPlot();
  void buildControls();
  void connectControls();
  void selectTasks();  // rows_, routing_ and tasks_ from the whole run
  void recompute();    // similarity + linkage
  void recut();        // flat clusters, agreement, table, drawing
  void draw();
  void drawSimilarity();
  void drawDendrogram();
  void drawClusterBoxes();
  void updateHighlight();
  int cutClusterCount() const;

  std::vector<RoutingMatrix> all_routing_;  // every task's row
  TaskLabels all_tasks_;
  int64_t step_ = -1;
  bool include_heldout_ = false;
  std::vector<int> rows_;               // the clustered tasks (run indices), by position
  std::vector<int> position_of_row_;    // run task -> position in rows_, -1: left out
  std::vector<RoutingMatrix> routing_;  // the clustered tasks' rows
  TaskLabels tasks_;                    // the clustered tasks
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
  analysis::Agreement agreement_;
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
  QCheckBox* heldout_check_ = nullptr;
  QSpinBox* k_spin_ = nullptr;
  QDoubleSpinBox* distance_spin_ = nullptr;
  QLabel* agreement_label_ = nullptr;
  QStandardItemModel* cluster_model_ = nullptr;
  QTableView* cluster_table_ = nullptr;
  bool updating_controls_ = false;
};

}  // namespace tensorpoly::ui
