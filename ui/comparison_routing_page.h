// The comparison's routing tab: one routing heatmap per run, side by side, whose layer,
// order/split and step follow one another (one layer selector and one step slider for
// every panel). Skills are interchangeable between runs, so before the heatmaps are
// drawn the skills of each run are matched to those of the first (Hungarian method on
// routing similarity over the tasks both runs have, matched by name; see
// tensorpoly/skill_alignment.h); a toggle shows the raw order.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <map>
#include <string>
#include <vector>

#include "tensorpoly/routing.h"
#include "ui/comparison_page.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QSlider;

namespace tensorpoly::ui {

class RoutingHeatmapView;

class ComparisonRoutingPage : public ComparisonPage {
  Q_OBJECT

 public:
  explicit ComparisonRoutingPage(QWidget* parent = nullptr);

  void setRuns(sessions::Store* store, const std::vector<ComparedRun>& runs) override;
  void clear() override;
  // One heatmap per run (PNG, PDF or CSV each).
  QList<ExportTarget> exportTargets() const override;

  void setStep(int64_t step);
  void setLayer(const QString& layer);
  void setAligned(bool aligned);
  // Highlights the task called `name` ("" = none) in every panel, in each run's indices.
  void highlightTask(const QString& name);

  // The skill order shown for run `index` at the current step and layer (identity for
  // the first run or when alignment is off); empty before anything is drawn.
  std::vector<int> shownSkillOrder(int index) const;
  // What the tab says about the skill alignment of each run.
  QString alignmentNote() const;
  // "run: message" for each run whose routing could not be read.
  QString problems() const;

  const std::vector<RoutingHeatmapView*>& heatmaps() const { return heatmaps_; }
  QCheckBox* alignCheck() const { return align_check_; }
  QComboBox* layerCombo() const { return layer_combo_; }
  QSlider* stepSlider() const { return step_slider_; }

 Q_SIGNALS:
  // A task was highlighted (clicked) in one of the panels; "" when the highlight was
  // cleared.
  void taskHighlighted(const QString& name);

 private:
  void addPanel(size_t index);
  void showRouting();
  // Reorders the skills of `layers` (run `index`) to match `reference` (the first run's
  // layers), records the order shown for every layer, and says how the run was aligned.
  QString alignRun(size_t index, const std::vector<RoutingMatrix>& reference,
                   std::vector<RoutingMatrix>* layers);
  void updateLayerChoices();

  sessions::Store* store_ = nullptr;
  std::vector<ComparedRun> runs_;
  std::vector<int64_t> all_steps_;
  int64_t step_ = -1;
  QString layer_;
  std::map<std::string, std::vector<int>> shown_orders_;  // "index|layer" -> order
  QStringList step_problems_;  // runs whose snapshot steps could not be read
  bool syncing_ = false;       // the page is driving its panels
  bool highlighting_ = false;  // the page is setting its panels' highlight

  QWidget* heatmap_row_ = nullptr;
  std::vector<RoutingHeatmapView*> heatmaps_;
  QComboBox* layer_combo_ = nullptr;
  QSlider* step_slider_ = nullptr;
  QLabel* step_label_ = nullptr;
  QCheckBox* align_check_ = nullptr;
  QLabel* align_label_ = nullptr;
  QLabel* problems_ = nullptr;
};

}  // namespace tensorpoly::ui
