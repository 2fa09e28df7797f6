// The main window's panels, in one table: each dock's object name (saved layouts and
// tests find it by this name), its title, the view name that File ▸ Export… and the
// screenshot files use, and where it opens. Creation, the View menu, the default
// layout, the export and the screenshots all read this table.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QtCore/qnamespace.h>

#include <QtGlobal>
#include <array>
#include <cstddef>

namespace tensorpoly::ui {

// The panels, in creation order (which is also the View menu's order).
enum class Dock : std::size_t {
  kExperiment,
  kRunControls,
  kLoss,
  kComparison,
  kRouting,
  kCluster,
  kRuns,
};

struct DockSpec {
  Dock dock;
  const char* object_name;  // QObject::objectName() of the QDockWidget
  const char* title;        // translated in the MainWindow context
  const char* view_name;    // exportView() and the screenshot file name
  Qt::DockWidgetArea area;  // where it opens (the default layout arranges it further)
  bool exportable;          // File ▸ Export… writes this view
};

inline constexpr std::array<DockSpec, 7> kDocks = {{
    {Dock::kExperiment, "experimentDock",
     QT_TRANSLATE_NOOP("tensorpoly::ui::MainWindow", "Experiment"), "experiment",
     Qt::LeftDockWidgetArea, false},
    {Dock::kRunControls, "runControlsDock",
     QT_TRANSLATE_NOOP("tensorpoly::ui::MainWindow", "Run controls"), "run_controls",
     Qt::LeftDockWidgetArea, false},
    {Dock::kLoss, "lossDock", QT_TRANSLATE_NOOP("tensorpoly::ui::MainWindow", "Loss"), "loss",
     Qt::RightDockWidgetArea, true},
    {Dock::kComparison, "comparisonDock",
     QT_TRANSLATE_NOOP("tensorpoly::ui::MainWindow", "Comparison"), "comparison",
     Qt::RightDockWidgetArea, true},
    {Dock::kRouting, "routingDock", QT_TRANSLATE_NOOP("tensorpoly::ui::MainWindow", "Routing"),
     "routing", Qt::RightDockWidgetArea, true},
    {Dock::kCluster, "clusterDock", QT_TRANSLATE_NOOP("tensorpoly::ui::MainWindow", "Clustering"),
     "clustering", Qt::RightDockWidgetArea, true},
    {Dock::kRuns, "runsDock", QT_TRANSLATE_NOOP("tensorpoly::ui::MainWindow", "Runs"), "runs",
     Qt::BottomDockWidgetArea, true},
}};

// The table row of `dock` (rows are in enum order; checked at compile time below).
constexpr const DockSpec& dockSpec(Dock dock) { return kDocks[static_cast<std::size_t>(dock)]; }

namespace detail {
constexpr bool docksInEnumOrder() {
  for (std::size_t i = 0; i < kDocks.size(); ++i) {
    if (static_cast<std::size_t>(kDocks[i].dock) != i) return false;
  }
  return true;
}
}  // namespace detail
static_assert(detail::docksInEnumOrder(), "kDocks must list the docks in Dock's order");

}  // namespace tensorpoly::ui
