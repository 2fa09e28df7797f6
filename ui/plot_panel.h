// The QCustomPlot part every plotting view shares, written once: the plot set up
// the same way (plottables not antialiased, no automatic QCustomPlot legend, mouse
// tracking), an Export button whose menu (and the plot's context menu) writes
// PNG/PDF/CSV through ui/plot_export, a hover read-out (a label and a tooltip)
// filled from the owner's function of the pointer position, and a signal for
// left clicks on the plot.
//
// A composition object, not a base class: the owner lays out plot(),
// exportButton() and readout() where it wants them, draws into plot() itself and
// keeps its own replot policy. Typical use:
//
//   panel_ = new PlotPanel(this, {QSize(320, 240)});
//   panel_->addExport({tr("heatmap"), {"png", "pdf"}, [this](auto& p) { return exportTo(p); }});
//   panel_->setHoverText([this](const QPoint& pos) { return hoverText(pos); });
//   connect(panel_, &PlotPanel::clicked, this, [this](const QPoint& pos) { ... });
//   layout->addWidget(panel_->exportButton()); layout->addWidget(panel_->plot(), 1);
//   layout->addWidget(panel_->readout());
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QObject>
#include <QPoint>
#include <QSize>
#include <QString>
#include <functional>

#include "ui/plot_export.h"

class QCustomPlot;
class QLabel;
class QMenu;
class QToolButton;
class QWidget;

namespace tensorpoly::ui {

class PlotPanel : public QObject {
  Q_OBJECT

 public:
  struct Options {
    QSize minimum_size;  // of the plot; empty: none
    // Drag and wheel-zoom the axis ranges, with fast polylines and no antialiasing
    // while dragging (line plots).
    bool range_interaction = false;
    // Removes the default axis rect: the owner lays out its own (heatmaps, panels).
    bool empty_layout = false;
    // Plottables join QCustomPlot's own legend as they are added (off: the views of
    // a run draw their legends as widgets).
    bool plot_legend = false;
  };
  enum class ExportPlace { kMenuAndPlot, kMenuOnly };
  // Returns the file to write `target` to; "" cancels.
  using PathChooser = std::function<QString(const ExportTarget& target)>;
  // The read-out for the plot pixel `pos`; "" when the pointer is over nothing.
  using HoverText = std::function<QString(const QPoint& pos)>;

  // The widgets are children of `owner`, which also parents the export dialogs.
  explicit PlotPanel(QWidget* owner);
  PlotPanel(QWidget* owner, const Options& options);

  QCustomPlot* plot() const { return plot_; }
  QToolButton* exportButton() const { return export_button_; }
  QMenu* exportMenu() const { return export_menu_; }
  QLabel* readout() const { return readout_; }

  // Adds "Export <label>…" to the button's menu and, for kMenuAndPlot, to the plot's
  // context menu. Choosing it asks for a file (the path chooser), writes the target
  // and reports an error in a message box.
  void addExport(const ExportTarget& target, ExportPlace place = ExportPlace::kMenuAndPlot);
  const QList<ExportTarget>& exportTargets() const { return menu_targets_; }
  const QList<ExportTarget>& plotExportTargets() const { return plot_targets_; }
  // Replaces the save dialog (scripts, tests); an empty function restores it.
  void setPathChooser(PathChooser chooser);
  // The plot as it is now, to .png or .pdf (by suffix): replots first. "" or an
  // error naming the file.
  QString exportImage(const QString& path);

  // Pointer moves over the plot show hover(pos) in the read-out and as a tooltip.
  void setHoverText(HoverText hover);
  // Shows the read-out for `pos` (as a pointer move there does) and returns it.
  QString showHoverAt(const QPoint& pos);
  void clearHover();
  QString hoverReadout() const;

 Q_SIGNALS:
  // A left-button press on the plot at pixel `pos`.
  void clicked(const QPoint& pos);

 private:
  void addAction(QMenu* menu, const ExportTarget& target);
  void showPlotMenu(const QPoint& pos);

  QWidget* owner_ = nullptr;
  QCustomPlot* plot_ = nullptr;
  QToolButton* export_button_ = nullptr;
  QMenu* export_menu_ = nullptr;
  QLabel* readout_ = nullptr;
  QList<ExportTarget> menu_targets_, plot_targets_;
  PathChooser chooser_;
  HoverText hover_;
};

}  // namespace tensorpoly::ui
