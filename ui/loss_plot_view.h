// Per-task losses of one run: one line per task (train) with eval results as markers
// (a held-out task's few-shot evaluations, after training, as a line of their own),
// a mean curve, a legend that toggles and highlights tasks (through the shared
// TaskSelection), EMA smoothing, log scale, x by step or wall time and a hover
// read-out (PlotPanel). Fed with plain data, from the store, for a live run and a
// saved run alike; appendPoints() adds live increments.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QPointer>
#include <QWidget>
#include <cstdint>
#include <vector>

#include "ui/palette.h"
#include "ui/task_selection.h"

class QCheckBox;
class QComboBox;
class QCPGraph;
class QCustomPlot;
class QLabel;
class QListWidget;
class QListWidgetItem;
class QSlider;
class QTimer;

namespace tensorpoly::ui {

class DenseLineBundle;
class PlotPanel;

struct LossPoint {
  int64_t step = 0;
  double wall_time_s = 0.0;
  double value = 0.0;
};

struct LossSeriesData {
  TaskLabels tasks;
  std::vector<std::vector<LossPoint>> train;  // per task, ascending step
  std::vector<std::vector<LossPoint>> eval;   // per task, ascending step (markers); may be empty
  std::vector<LossPoint> mean;                // mean train loss; empty: computed from `train`
};

// One new value of a live run. task = -1: the mean train loss.
struct LossIncrement {
  int task = -1;
  bool eval = false;
  LossPoint point;
};

class LossPlotView : public QWidget {
  Q_OBJECT

 public:
  enum class XAxis { kStep, kWallTime };

  explicit LossPlotView(QWidget* parent = nullptr);

  // Shares highlight and visibility with other views; the view keeps its own otherwise.
  void setSelection(TaskSelection* selection);
  TaskSelection* selection() const { return selection_; }

  void setSeries(const LossSeriesData& data);
  // Live increments, each task's points in ascending step order. Redraws once,
  // from a short single-shot timer, however many bursts arrive.
  void appendPoints(const std::vector<LossIncrement>& points);
  void clear();

  // 0 = raw; otherwise the TensorBoard-style debiased EMA weight (< 1).
  void setSmoothing(double weight);
  double smoothing() const { return smoothing_; }
  void setLogScale(bool on);
  void setXAxis(XAxis axis);
  void setShowEval(bool on);
  void setShowMean(bool on);

  // The read-out for the plot pixel `pos` (nearest point of a visible series within
  // a few pixels): "task, step, value"; empty when nothing is near.
  QString hoverText(const QPoint& pos) const;
  // The task under `pos` (as hoverText), -1 for none or the mean curve.
  int taskAt(const QPoint& pos) const;

  // .png / .pdf: the plot; .csv: every point (task, family, split, step, wall time,
  // loss, smoothed: the debiased EMA at smoothing(), empty for eval markers).
  // Returns "" or an error naming the file.
  QString exportTo(const QString& path);

  QCustomPlot* plot() const { return plot_; }
  PlotPanel* plotPanel() const { return panel_; }
  // The task's data (drawn as its own graph only while highlighted; otherwise the
  // bundle that draws every task draws it).
  QCPGraph* trainGraph(int task) const;
  // Whether the task's train series is drawn.
  bool isSeriesShown(int task) const;
  QCPGraph* meanGraph() const { return mean_graph_; }
  QListWidget* legend() const { return legend_; }
  int taskCount() const { return static_cast<int>(data_.tasks.size()); }

 Q_SIGNALS:
  void taskClicked(int task);

 private:
  struct Smoother {  // debiased EMA state of one series
    double last = 0.0;
    int64_t count = 0;
    double next(double value, double weight);
  };
  struct Hit {
    int task = -1;  // -1: mean curve
    bool eval = false;
    int index = -1;
    double distance = 0.0;
  };

  void buildControls();
  void connectControls();
  void rebuildGraphs();
  void rebuildLegend();
  void refillAll();
  void fillGraph(QCPGraph* graph, const std::vector<LossPoint>& points, bool smooth,
                 Smoother* state);
  // Returns the value it added (smoothed when smoothing is on).
  double appendToGraph(QCPGraph* graph, const LossPoint& point, bool smooth, Smoother* state);
  double keyOf(const LossPoint& point) const;
  void computeMean();
  void addToComputedMean(const LossPoint& point);
  void applyStyles();
  void applyVisibility();
  void rescaleIfAuto();
  void scheduleReplot();
  Hit nearest(const QPoint& pos) const;

  LossSeriesData data_;
  bool mean_computed_ = false;    // data_.mean derived from data_.train
  bool mean_dirty_ = false;       // mean graph needs a refill
  std::vector<int> mean_counts_;  // tasks averaged into each computed mean point
  double smoothing_ = 0.0;
  bool log_scale_ = false;
  XAxis x_axis_ = XAxis::kStep;
  bool show_eval_ = true;
  bool show_mean_ = true;
  bool auto_range_ = true;
  FamilyPalette palette_;

  QPointer<TaskSelection> selection_;
  TaskSelection* own_selection_ = nullptr;
  QMetaObject::Connection highlight_connection_, visibility_connection_;

  PlotPanel* panel_ = nullptr;
  QCustomPlot* plot_ = nullptr;  // panel_->plot()
  std::vector<QCPGraph*> train_graphs_, eval_graphs_;
  std::vector<Smoother> train_smoothers_;
  Smoother mean_smoother_;
  QCPGraph* mean_graph_ = nullptr;
  DenseLineBundle* bundle_ = nullptr;  // every task's train series, rasterised at once
  QListWidget* legend_ = nullptr;
  QSlider* smoothing_slider_ = nullptr;
  QLabel* smoothing_label_ = nullptr;
  QCheckBox* log_check_ = nullptr;
  QCheckBox* eval_check_ = nullptr;
  QCheckBox* mean_check_ = nullptr;
  QComboBox* x_combo_ = nullptr;
  QTimer* replot_timer_ = nullptr;
  bool updating_legend_ = false;
};

}  // namespace tensorpoly::ui
