// Comparison of two or more stored runs: overlaid loss curves (per task or the
// mean), a config diff listing only the fields that differ (JSON flattened to
// dotted keys), a table of final metrics per task with the best value of each
// row marked, and routing heatmaps side by side whose layer and step follow one
// another (one layer selector and one step slider for every panel). Skills are
// interchangeable between runs, so before the heatmaps are drawn the skills of each
// run are matched to those of the first (Hungarian method on routing similarity over
// the tasks both runs have, matched by name; see skill_alignment.h); a toggle shows
// the raw order. Runs may list different tasks, so a highlighted task is shared
// between the panels, the curves and the window's selection by name.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QPointer>
#include <QString>
#include <QWidget>
#include <map>
#include <string>
#include <vector>

#include "tensorpoly/sessions/store.h"
#include "ui/plot_export.h"

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QLabel;
class QSlider;
class QTableWidget;
class QTabWidget;

namespace tensorpoly::ui {

class RoutingHeatmapView;
class TaskSelection;

// One field that differs: its dotted key and the value in each run ("" = absent).
struct ConfigDifference {
  std::string key;
  std::vector<std::string> values;
};

// {"a": {"b": 1, "c": [2, 3]}} -> {"a.b": "1", "a.c[0]": "2", "a.c[1]": "3"};
// leaves are compact JSON (strings quoted). Throws std::invalid_argument on bad JSON.
std::map<std::string, std::string> flattenJson(const std::string& json_text);
// The fields whose values are not all equal, sorted by key.
std::vector<ConfigDifference> diffConfigs(const std::vector<std::string>& json_texts);

class ComparisonView : public QWidget {
  Q_OBJECT

 public:
  explicit ComparisonView(QWidget* parent = nullptr);

  // Reads everything it shows from `store` (not kept beyond the call except for
  // routing lookups: the store must outlive the view or be replaced by clear()).
  // Returns "" or an error.
  QString setRuns(sessions::Store* store, const std::vector<sessions::RunRef>& runs);
  void clear();

  const std::vector<ConfigDifference>& configDifferences() const { return differences_; }
  QTableWidget* configTable() const { return config_table_; }
  QTableWidget* metricTable() const { return metric_table_; }
  QCustomPlot* curvePlot() const { return curve_plot_; }
  QTabWidget* tabs() const { return tabs_; }
  const std::vector<RoutingHeatmapView*>& heatmaps() const { return heatmaps_; }
  QCheckBox* alignCheck() const { return align_check_; }
  QComboBox* curveTaskCombo() const { return curve_task_combo_; }
  QComboBox* curveSplitCombo() const { return curve_split_combo_; }
  QComboBox* layerCombo() const { return layer_combo_; }
  QSlider* stepSlider() const { return step_slider_; }
  // What the routing tab says about the skill alignment of each run.
  QString alignmentNote() const;
  int runCount() const { return static_cast<int>(runs_.size()); }

  // Synchronised heatmap controls.
  void setStep(int64_t step);
  void setLayer(const QString& layer);
  void setAligned(bool aligned);
  // The skill order shown for run `index` at the current step and layer (identity for
  // the first run or when alignment is off); empty before anything is drawn.
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
  struct RunData {
    sessions::RunRef ref{0};
    QString label;
    std::vector<TaskInfo> tasks;
    std::vector<int64_t> routing_steps;
  };
  void fillCurves();
  void fillMetricTable();
  void fillConfigTable();
  void showRouting();
  // Highlights the task called `name` ("" = none) in every panel, the curves and the
  // shared selection.
  void highlightTaskNamed(const QString& name, bool from_shared = false);
  int taskIndexIn(size_t run, const QString& name) const;

  sessions::Store* store_ = nullptr;
  std::vector<RunData> runs_;
  std::vector<ConfigDifference> differences_;
  std::vector<int64_t> all_steps_;
  int64_t step_ = -1;
  QString layer_;
  std::map<std::string, std::vector<int>> shown_orders_;  // "index|layer" -> order
  bool syncing_ = false;
  QPointer<TaskSelection> shared_selection_;
  QMetaObject::Connection shared_connection_;
  QString highlighted_task_;
  bool syncing_highlight_ = false;

  QTabWidget* tabs_ = nullptr;
  QCustomPlot* curve_plot_ = nullptr;
  QComboBox* curve_task_combo_ = nullptr;
  QComboBox* curve_split_combo_ = nullptr;
  QTableWidget* config_table_ = nullptr;
  QLabel* config_summary_ = nullptr;
  QTableWidget* metric_table_ = nullptr;
  QComboBox* metric_combo_ = nullptr;
  QWidget* heatmap_row_ = nullptr;
  std::vector<RoutingHeatmapView*> heatmaps_;
  QComboBox* layer_combo_ = nullptr;
  QSlider* step_slider_ = nullptr;
  QLabel* step_label_ = nullptr;
  QCheckBox* align_check_ = nullptr;
  QLabel* align_label_ = nullptr;
};

}  // namespace tensorpoly::ui
