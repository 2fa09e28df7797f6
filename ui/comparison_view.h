// Comparison of two or more stored runs, one tab per page: overlaid loss curves
// (comparison_curves_page.h), the config fields that differ (comparison_config_page.h),
// final metrics per task with the best run marked (comparison_metrics_page.h), and
// routing heatmaps side by side with skills aligned to the first run
// (comparison_routing_page.h). This host reads the runs once, hands them to every
// page, and shares the highlighted task — by name, since runs may list different
// tasks — between the routing panels, the curves and the window's selection.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QPointer>
#include <QString>
#include <QWidget>
#include <vector>

#include "tensorpoly/config_diff.h"
#include "tensorpoly/sessions/store.h"
#include "ui/comparison_page.h"
#include "ui/plot_export.h"

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QSlider;
class QTableWidget;
class QTabWidget;

namespace tensorpoly::ui {

class ComparisonConfigPage;
class ComparisonCurvesPage;
class ComparisonMetricsPage;
class ComparisonRoutingPage;
class RoutingHeatmapView;
class TaskSelection;

class ComparisonView : public QWidget {
  Q_OBJECT

 public:
  explicit ComparisonView(QWidget* parent = nullptr);

  // Reads everything it shows from `store` (not kept beyond the call except for the
  // pages' later lookups: the store must outlive the view or be replaced by clear()).
  // Returns "" or why the runs cannot be compared (a run the store cannot read, a
  // config that is not JSON). Data a run lacks, or that the store cannot read, is
  // said on the page concerned; other failures propagate.
  QString setRuns(sessions::Store* store, const std::vector<sessions::RunRef>& runs);
  void clear();
  int runCount() const { return static_cast<int>(runs_.size()); }

  // The pages, in tab order.
  QTabWidget* tabs() const { return tabs_; }
  ComparisonCurvesPage* curvesPage() const { return curves_; }
  ComparisonConfigPage* configPage() const { return config_; }
  ComparisonMetricsPage* metricsPage() const { return metrics_; }
  ComparisonRoutingPage* routingPage() const { return routing_; }

  // Shortcuts into the pages.
  const std::vector<ConfigDifference>& configDifferences() const;
  QTableWidget* configTable() const;
  QTableWidget* metricTable() const;
  QCustomPlot* curvePlot() const;
  QComboBox* curveTaskCombo() const;
  QComboBox* curveSplitCombo() const;
  const std::vector<RoutingHeatmapView*>& heatmaps() const;
  QCheckBox* alignCheck() const;
  QComboBox* layerCombo() const;
  QSlider* stepSlider() const;
  QString alignmentNote() const;
  // Synchronised heatmap controls (ComparisonRoutingPage).
  void setStep(int64_t step);
  void setLayer(const QString& layer);
  void setAligned(bool aligned);
  std::vector<int> shownSkillOrder(int index) const;

  // Shares the highlighted task with the rest of the window: a task clicked in a
  // comparison heatmap, or chosen for the curves, is highlighted in `selection`, and a
  // task highlighted there is highlighted in every panel and shown in the curves. The
  // runs' task lists may differ, so tasks are matched by name (TaskSelection::setTasks
  // gives `selection` its names). nullptr: no sharing.
  void setTaskSelection(TaskSelection* selection);
  // The highlighted task's name; empty when none.
  QString highlightedTask() const { return highlighted_task_; }

  // What File ▸ Export… can write for the current tab.
  QList<ExportTarget> exportTargets() const;

 private:
  // Highlights the task called `name` ("" = none) in every panel, the curves and the
  // shared selection.
  void highlightTaskNamed(const QString& name, bool from_shared = false);

  std::vector<ComparedRun> runs_;
  QPointer<TaskSelection> shared_selection_;
  QMetaObject::Connection shared_connection_;
  QString highlighted_task_;
  bool syncing_highlight_ = false;

  QTabWidget* tabs_ = nullptr;
  ComparisonCurvesPage* curves_ = nullptr;
  ComparisonConfigPage* config_ = nullptr;
  ComparisonMetricsPage* metrics_ = nullptr;
  ComparisonRoutingPage* routing_ = nullptr;
  std::vector<ComparisonPage*> pages_;  // in tab order
};

}  // namespace tensorpoly::ui
