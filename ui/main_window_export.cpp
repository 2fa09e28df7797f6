// The main window's File ▸ Export… (the view in focus, as PNG, PDF or CSV; a stored
// run's config as JSON) and its screenshots (every panel and the whole window as PNG).
// SPDX-License-Identifier: GPL-3.0-or-later
#include <QDir>
#include <QDockWidget>
#include <QEventLoop>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QTabWidget>
#include <QTableWidget>
#include <QTimer>
#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ui/cluster_view.h"
#include "ui/comparison_view.h"
#include "ui/loss_plot_view.h"
#include "ui/main_window.h"
#include "ui/plot_export.h"
#include "ui/routing_heatmap_view.h"
#include "ui/run_browser.h"

namespace tensorpoly::ui {

namespace {

// Lets queued replots and short single-shot timers run (grabs, exports).
void settle(int milliseconds) {
  QEventLoop loop;
  QTimer::singleShot(milliseconds, &loop, &QEventLoop::quit);
  loop.exec();
}

}  // namespace

Dock MainWindow::viewOfFocus() const {
  if (last_active_dock_) {
    for (const DockSpec& spec : kDocks) {
      if (spec.exportable && last_active_dock_ == dock(spec.dock)) return spec.dock;
    }
  }
  // Otherwise the visible plot: the comparison when it is on top, else the loss plot.
  QDockWidget* comparison = dock(Dock::kComparison);
  if (comparison->isVisible() && !comparison->visibleRegion().isEmpty() &&
      comparison_view_->runCount() > 0) {
    return Dock::kComparison;
  }
  return Dock::kLoss;
}

QString MainWindow::exportView(const QString& view, const QString& path) {
  const auto spec = std::find_if(kDocks.begin(), kDocks.end(), [&](const DockSpec& candidate) {
    return candidate.exportable && view == QLatin1String(candidate.view_name);
  });
  if (spec == kDocks.end()) return tr("Unknown view '%1'").arg(view);
  const QString suffix = QFileInfo(path).suffix().toLower();
  switch (spec->dock) {
    case Dock::kLoss:
      return loss_view_->exportTo(path);
    case Dock::kRouting:
      return heatmap_view_->exportTo(path);
    case Dock::kCluster:
      return cluster_view_->exportTo(path);
    case Dock::kRuns:
      if (suffix != QLatin1String("csv")) return tr("%1: the run list exports to .csv").arg(path);
      return exportModelCsv(runTable()->model(), path);
    case Dock::kComparison:
      for (const ExportTarget& target : comparison_view_->exportTargets()) {
        if (target.suffixes.contains(suffix)) return target.write(path);
      }
      return tr("%1: the current comparison tab does not export to .%2").arg(path, suffix);
    case Dock::kExperiment:
    case Dock::kRunControls:
      break;  // not exportable
  }
  return tr("Unknown view '%1'").arg(view);
}

void MainWindow::exportCurrentView() {
  const Dock focus = viewOfFocus();
  if (focus == Dock::kComparison) {
    const QList<ExportTarget> targets = comparison_view_->exportTargets();
    if (!targets.isEmpty()) exportWithDialog(this, targets.front());
    return;
  }
  const QString view = QLatin1String(dockSpec(focus).view_name);
  ExportTarget target;
  target.label = view;
  target.suffixes = focus == Dock::kRuns ? QStringList{QStringLiteral("csv")}
                                         : QStringList{QStringLiteral("png"), QStringLiteral("pdf"),
                                                       QStringLiteral("csv")};
  target.write = [this, view](const QString& path) { return exportView(view, path); };
  exportWithDialog(this, target);
}

QString MainWindow::exportRunConfig(const sessions::RunRef& run, const QString& path) {
  if (!store_) return tr("No database is open.");
  try {
    const sessions::RunDetails details = store_->run_details(run);
    std::ofstream out(path.toStdString());
    if (!out) return tr("%1: cannot write the file").arg(path);
    out << nlohmann::json::parse(details.config_json).dump(2) << '\n';
    out.close();
    if (!out) return tr("%1: write failed").arg(path);
  } catch (const std::exception& error) {
    return QString::fromStdString(error.what());
  }
  return {};
}

void MainWindow::exportSelectedRunConfig() {
  std::vector<sessions::RunRef> runs = run_browser_->selectedRuns();
  if (runs.empty() && shown_run_.id > 0) runs.push_back(shown_run_);
  if (runs.empty()) {
    QMessageBox::information(this, tr("Export run config"), tr("Select a run first."));
    return;
  }
  const QString path = QFileDialog::getSaveFileName(
      this, tr("Export run config"), QStringLiteral("run-%1.json").arg(runs.front().id),
      tr("JSON (*.json)"));
  if (path.isEmpty()) return;
  const QString error = exportRunConfig(runs.front(), path);
  if (!error.isEmpty()) QMessageBox::warning(this, tr("Export run config"), error);
}

QString MainWindow::saveScreenshots(const QString& folder) {
  if (!QDir().mkpath(folder)) return tr("%1: cannot create the folder").arg(folder);
  settle(300);
  QStringList failed;
  const auto save = [&](QWidget* widget, const QString& name) {
    const QString path = QDir(folder).filePath(name + QStringLiteral(".png"));
    if (!widget->grab().save(path)) failed << path;
  };
  const bool comparing = comparison_view_->runCount() > 0;
  for (const DockSpec& spec : kDocks) {
    QDockWidget* dock_widget = dock(spec.dock);
    if (!dock_widget->isVisible()) continue;
    if (comparing && spec.dock == Dock::kComparison) continue;  // per tab below
    dock_widget->raise();
    settle(200);
    save(dock_widget->widget(), QLatin1String(spec.view_name));
  }
  if (comparing) {
    dock(Dock::kComparison)->raise();
    // File names of the comparison's tabs, in tab order.
    const QStringList tabs = {QStringLiteral("curves"), QStringLiteral("config_diff"),
                              QStringLiteral("final_metrics"), QStringLiteral("routing")};
    const QString prefix = QLatin1String(dockSpec(Dock::kComparison).view_name) + QLatin1Char('_');
    for (int index = 0; index < comparison_view_->tabs()->count() && index < tabs.size(); ++index) {
      comparison_view_->tabs()->setCurrentIndex(index);
      settle(250);
      save(comparison_view_, prefix + tabs[index]);
    }
    comparison_view_->tabs()->setCurrentIndex(0);
  }
  // The whole window last, with the run's own views on top.
  dock(Dock::kLoss)->raise();
  dock(Dock::kRouting)->raise();
  settle(250);
  save(this, QStringLiteral("main_window"));
  return failed.isEmpty() ? QString()
                          : tr("could not write %1").arg(failed.join(QStringLiteral(", ")));
}

}  // namespace tensorpoly::ui
