// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/plot_panel.h"

#include <QLabel>
#include <QMenu>
#include <QToolButton>
#include <QToolTip>
#include <utility>

#include "ui/qcustomplot_include.h"

namespace tensorpoly::ui {

PlotPanel::PlotPanel(QWidget* owner) : PlotPanel(owner, Options{}) {}

PlotPanel::PlotPanel(QWidget* owner, const Options& options) : QObject(owner), owner_(owner) {
  plot_ = new QCustomPlot(owner);
  // Antialiased dense series cost more than they show (STYLE.md, plots).
  plot_->setNotAntialiasedElements(QCP::aePlottables);
  plot_->setAutoAddPlottableToLegend(options.plot_legend);
  plot_->setMouseTracking(true);
  if (!options.minimum_size.isEmpty()) plot_->setMinimumSize(options.minimum_size);
  if (options.range_interaction) {
    plot_->setPlottingHint(QCP::phFastPolylines, true);
    plot_->setNoAntialiasingOnDrag(true);
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  }
  if (options.empty_layout) plot_->plotLayout()->clear();

  export_button_ = new QToolButton(owner);
  export_button_->setText(tr("Export"));
  export_button_->setPopupMode(QToolButton::InstantPopup);
  export_menu_ = new QMenu(export_button_);
  export_button_->setMenu(export_menu_);

  readout_ = new QLabel(owner);
  readout_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  readout_->setWordWrap(true);  // a long hover read-out must not widen the dock

  plot_->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(plot_, &QWidget::customContextMenuRequested, this, &PlotPanel::showPlotMenu);
  connect(plot_, &QCustomPlot::mouseMove, this, [this](QMouseEvent* event) {
    if (hover_) showHoverAt(event->pos());
  });
  connect(plot_, &QCustomPlot::mousePress, this, [this](QMouseEvent* event) {
    if (event->button() == Qt::LeftButton) Q_EMIT clicked(event->pos());
  });
}

void PlotPanel::addExport(const ExportTarget& target, ExportPlace place) {
  menu_targets_ << target;
  if (place == ExportPlace::kMenuAndPlot) plot_targets_ << target;
  addAction(export_menu_, target);
}

void PlotPanel::setPathChooser(PathChooser chooser) { chooser_ = std::move(chooser); }

void PlotPanel::addAction(QMenu* menu, const ExportTarget& target) {
  QAction* action = menu->addAction(tr("Export %1…").arg(target.label));
  connect(action, &QAction::triggered, this, [this, target] {
    const QString path = chooser_ ? chooser_(target) : askExportPath(owner_, target);
    if (!path.isEmpty()) writeExportReportingErrors(owner_, target, path);
  });
}

void PlotPanel::showPlotMenu(const QPoint& pos) {
  if (plot_targets_.isEmpty()) return;
  QMenu menu(plot_);
  for (const ExportTarget& target : plot_targets_) addAction(&menu, target);
  menu.exec(plot_->mapToGlobal(pos));
}

QString PlotPanel::exportImage(const QString& path) {
  plot_->replot(QCustomPlot::rpImmediateRefresh);
  return exportPlot(plot_, path);
}

void PlotPanel::setHoverText(HoverText hover) { hover_ = std::move(hover); }

QString PlotPanel::showHoverAt(const QPoint& pos) {
  QString text = hover_ ? hover_(pos) : QString();
  readout_->setText(text);
  if (text.isEmpty())
    QToolTip::hideText();
  else
    QToolTip::showText(plot_->mapToGlobal(pos), text, plot_);
  return text;
}

void PlotPanel::clearHover() {
  readout_->clear();
  QToolTip::hideText();
}

QString PlotPanel::hoverReadout() const { return readout_->text(); }

}  // namespace tensorpoly::ui
