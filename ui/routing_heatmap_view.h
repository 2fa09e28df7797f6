// Routing heatmaps: tasks × skills for one adapted layer or the mean over layers,
// per order (TensorPoly-II) / split (MHR) or all of them side by side, viridis with
// a colour scale, hover read-out, rows sorted by name, family or cluster order, a
// step slider over the stored snapshots that follows a live run at its end, a diff
// mode against an earlier step (diverging map), and flags for collapsed skills and
// near-uniform tasks. What is shown is computed by RoutingHeatmapModel (no
// widgets); this class draws it and holds the controls.
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
#include <vector>

#include "tensorpoly/analysis.h"
#include "tensorpoly/routing.h"
#include "ui/routing_heatmap_model.h"
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

class PlotPanel;

class RoutingHeatmapView : public QWidget {
  Q_OBJECT

 public:
  using RowOrder = RoutingHeatmapModel::RowOrder;
  using Flags = analysis::RoutingFlags;

  // The flag thresholds (defined with the flags, in tensorpoly::analysis).
  static constexpr double kCollapsedSkillShare = analysis::kCollapsedSkillShare;
  static constexpr double kUniformEntropyRatio = analysis::kUniformEntropyRatio;

  struct Cell {
    int task = -1;
    int skill = -1;
    int block = -1;  // order/split index; 0 for single-block routing
    double value = 0.0;
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
  int64_t currentStep() const { return model_.currentStep(); }
  // A full layer name, or "" for the mean over layers.
  void setLayer(const QString& layer);
  QString layer() const { return model_.layer(); }
  QStringList layers() const { return model_.layers(); }
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
  const std::vector<int>& rowOrder() const { return model_.rows(); }
  Flags flags() const { return model_.flags(); }
  // The cell under the plot pixel `pos`; task -1 when none.
  Cell cellAt(const QPoint& pos) const;
  // The pixel at the centre of a cell (for tests and tools); (-1,-1) if not drawn.
  QPoint pixelOf(int task, int skill, int block = 0) const;
  // "task … · skill … · layer … · value …" for the cell under `pos`; empty when none.
  QString hoverText(const QPoint& pos) const;

  // .png / .pdf: the heatmap; .csv: the shown matrix (task, family, block, one
  // column per skill). Returns "" or an error naming the file.
  QString exportTo(const QString& path);

  QCustomPlot* plot() const;
  PlotPanel* plotPanel() const { return panel_; }
  const RoutingHeatmapModel& model() const { return model_; }
  QComboBox* layerCombo() const { return layer_combo_; }
  QWidget* stepControls() const { return step_row_; }
  // How often the cluster row order was computed (it is cached per step, layer and
  // shown block until that step's routing or the tasks change).
  int clusterOrderComputations() const { return model_.clusterOrderComputations(); }
  // Recomputes what is shown and replots now (benchmarks, tests).
  void redrawNow();

 Q_SIGNALS:
  void requestStep(qint64 step);
  void taskClicked(int task);
  // The shown layer ("" = the mean) or block changed, from the controls or a setter.
  void layerChanged(const QString& layer);
  void blockChanged(int block);

 private:
  struct Panel {
    QCPAxisRect* rect = nullptr;
    QCPColorMap* map = nullptr;
    QCPItemRect* highlight = nullptr;
    int block = 0;
  };

  void buildControls();
  void connectControls();
  void rebuildPanels(int n_panels);
  void fillPanels();
  void setTickLabels();
  void updateColorScale(double low, double high);
  void updateHighlight();
  void updateLayerChoices();
  void updateBlockChoices();
  void updateStepControls();
  void request(int64_t step);
  void scheduleRedraw();
  QString blockName(int block) const;
  QString layerLabel() const;
  QString flagsText() const;

  RoutingHeatmapModel model_;
  bool embedded_ = false;
  bool redraw_pending_ = false;

  QPointer<TaskSelection> selection_;
  TaskSelection* own_selection_ = nullptr;
  QMetaObject::Connection highlight_connection_, visibility_connection_;

  PlotPanel* panel_ = nullptr;
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
  bool updating_controls_ = false;
};

}  // namespace tensorpoly::ui
