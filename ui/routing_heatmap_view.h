// Routing heatmaps (issue 7, part 5): tasks × skills for one adapted layer or the
// mean over layers, per order (TensorPoly-II) / split (MHR) or all of them side
// by side, viridis with a colour scale, hover read-out, rows sorted by name,
// family or cluster order, a step slider over the stored snapshots that follows
// a live run at its end, a diff mode against an earlier step (diverging map),
// and flags for collapsed skills and near-uniform tasks.
//
// The view never reads the store itself: it asks for a step with requestStep()
// and the owner answers with setRouting() (a live run and a saved run alike).
// Embedded (the comparison's panels), it hides its layer and step controls, which
// its owner draws once for every panel.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QPointer>
#include <QWidget>
#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "tensorpoly/routing.h"
#include "ui/task_selection.h"

class QCheckBox;
class QComboBox;
class QCPAxisRect;
class QCPColorMap;
class QCPColorScale;
class QCPItemRect;
class QCustomPlot;
class QLabel;
class QSlider;
class QStandardItemModel;

namespace tensorpoly::ui {

class RoutingHeatmapView : public QWidget {
  Q_OBJECT

 public:
  enum class RowOrder { kIndex, kName, kFamily, kCluster };

  // A skill is flagged "collapsed" when every task gives it less than this share
  // of the uniform weight 1/n_skills (in every order/split shown), i.e. no task uses it.
  static constexpr double kCollapsedSkillShare = 0.25;
  // A task is flagged "near-uniform" when the entropy of its routing over skills,
  // divided by log(n_skills) and averaged over the orders/splits shown, is at least this.
  static constexpr double kUniformEntropyRatio = 0.98;

  struct Cell {
    int task = -1;
    int skill = -1;
    int block = -1;  // order/split index; 0 for single-block routing
    double value = 0.0;
  };
  struct Flags {
    std::vector<int> collapsed_skills;
    std::vector<int> uniform_tasks;
  };

  explicit RoutingHeatmapView(QWidget* parent = nullptr);

  void setSelection(TaskSelection* selection);
  TaskSelection* selection() const { return selection_; }

  void setTasks(const TaskLabels& tasks);
  // The steps that have a snapshot, ascending. When the slider is at its end
  // (or nothing is shown yet), the view moves to the new last step (live follow).
  void setSnapshots(const std::vector<int64_t>& steps);
  // The routing of `step` (an answer to requestStep, or a live push). Cached.
  void setRouting(int64_t step, const std::vector<RoutingMatrix>& layers);
  void setRouting(int64_t step, const std::vector<RoutingMatrix>& layers, const TaskLabels& tasks);
  void clear();

  void setCurrentStep(int64_t step);
  int64_t currentStep() const { return current_step_; }
  // A full layer name, or "" for the mean over layers.
  void setLayer(const QString& layer);
  QString layer() const { return layer_; }
  QStringList layers() const;
  // Order/split index, or -1 for all of them side by side.
  void setBlock(int block);
  void setRowOrder(RowOrder order);
  // Leaf order from a clustering elsewhere (ClusterView); empty: computed here.
  void setClusterOrder(const std::vector<int64_t>& leaf_order);
  // Shows values minus those at `reference_step` (diverging colour map).
  void setDiffMode(bool on, int64_t reference_step = -1);
  // Hides the layer selector and the step controls (slider, diff): the owner shows
  // one set for several views and drives them with setLayer()/setCurrentStep().
  void setEmbedded(bool embedded);
  bool isEmbedded() const { return embedded_; }

  // Tasks top to bottom, as drawn (hidden tasks left out).
  const std::vector<int>& rowOrder() const { return rows_; }
  Flags flags() const { return flags_; }
  // The cell under the plot pixel `pos`; task -1 when none.
  Cell cellAt(const QPoint& pos) const;
  // The pixel at the centre of a cell (for tests and tools); (-1,-1) if not drawn.
  QPoint pixelOf(int task, int skill, int block = 0) const;
  // "task … · skill … · layer … · value …" for the cell under `pos`; empty when none.
  QString hoverText(const QPoint& pos) const;

  // .png / .pdf: the heatmap; .csv: the shown matrix (task, family, block, one
  // column per skill). Returns "" or an error naming the file.
  QString exportTo(const QString& path);

  QCustomPlot* plot() const { return plot_; }
  QComboBox* layerCombo() const { return layer_combo_; }
  QWidget* stepControls() const { return step_row_; }
  // How often the cluster row order was computed (it is cached per step, layer and
  // shown block until that step's routing or the tasks change).
  int clusterOrderComputations() const { return cluster_computations_; }
  // Recomputes what is shown and replots now (benchmarks, tests).
  void redrawNow();

 Q_SIGNALS:
  void requestStep(qint64 step);
  void taskClicked(int task);
  // The shown layer ("" = the mean) or block changed, from the controls or a setter.
  void layerChanged(const QString& layer);
  void blockChanged(int block);

 private:
  struct Shown {  // what the panels draw: [blocks][tasks][skills]
    int n_blocks = 0, n_tasks = 0, n_skills = 0;
    RoutingKind kind = RoutingKind::kSkills;
    std::vector<double> values, base;  // base: current step (differs from values in diff mode)
    QString layer_label;
    double at(const std::vector<double>& v, int b, int t, int s) const {
      return v[(static_cast<size_t>(b) * n_tasks + t) * n_skills + s];
    }
  };
  struct Panel {
    QCPAxisRect* rect = nullptr;
    QCPColorMap* map = nullptr;
    QCPItemRect* highlight = nullptr;
    int block = 0;
  };

  bool compute(int64_t step, std::vector<double>* values, Shown* shape) const;
  void recompute();
  void updateRows();
  void updateFlags();
  void rebuildPanels(int n_panels);
  void fillPanels();
  void updateHighlight();
  void updateLayerChoices();
  void updateBlockChoices();
  void updateStepControls();
  void request(int64_t step);
  void evictCache();
  void scheduleRedraw();
  QString blockName(int block) const;
  // The dendrogram leaf order of the shown routing, from the cache when it holds one.
  std::vector<int64_t> clusterOrder();
  void forgetClusterOrders(int64_t step);

  using ClusterKey = std::tuple<int64_t, QString, int>;  // step, layer, block (-1: all)

  TaskLabels tasks_;
  std::vector<int64_t> steps_;
  std::map<int64_t, std::vector<RoutingMatrix>> cache_;
  int64_t current_step_ = -1;
  int64_t reference_step_ = -1;
  bool diff_ = false;
  QString layer_;
  int block_ = 0;
  RowOrder row_order_ = RowOrder::kIndex;
  std::vector<int64_t> external_cluster_order_;
  std::map<ClusterKey, std::vector<int64_t>> cluster_orders_;
  int cluster_computations_ = 0;
  bool embedded_ = false;
  Shown shown_;
  bool has_shown_ = false;
  std::vector<int> rows_;
  std::vector<int> row_of_task_;
  Flags flags_;
  bool redraw_pending_ = false;

  QPointer<TaskSelection> selection_;
  TaskSelection* own_selection_ = nullptr;
  QMetaObject::Connection highlight_connection_, visibility_connection_;

  QCustomPlot* plot_ = nullptr;
  QCPColorScale* scale_ = nullptr;
  std::vector<Panel> panels_;
  QLabel* layer_caption_ = nullptr;
  QComboBox* layer_combo_ = nullptr;
  QStandardItemModel* layer_model_ = nullptr;
  QComboBox* block_combo_ = nullptr;
  QComboBox* order_combo_ = nullptr;
  QWidget* step_row_ = nullptr;
  QSlider* step_slider_ = nullptr;
  QLabel* step_label_ = nullptr;
  QCheckBox* diff_check_ = nullptr;
  QComboBox* reference_combo_ = nullptr;
  QLabel* flags_label_ = nullptr;
  QLabel* readout_ = nullptr;
  bool updating_controls_ = false;
};

}  // namespace tensorpoly::ui
