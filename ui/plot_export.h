// Export helpers shared by every view: any QCustomPlot to PNG or PDF, any item
// model (or table view) to CSV, plus the context-menu/button plumbing.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QStringList>
#include <functional>

class QAbstractItemModel;
class QCustomPlot;
class QMenu;
class QTableView;
class QWidget;

namespace tensorpoly::ui {

// Each returns an empty string on success, otherwise a message naming the file.
// PNG at the plot's widget size (or `width`×`height` when given) × `scale`.
QString exportPlotPng(QCustomPlot* plot, const QString& path, int width = 0, int height = 0,
                      double scale = 2.0);
// Vector PDF at the plot's widget size (or `width`×`height` points).
QString exportPlotPdf(QCustomPlot* plot, const QString& path, int width = 0, int height = 0);
// By suffix: .png or .pdf.
QString exportPlot(QCustomPlot* plot, const QString& path);

// RFC 4180 CSV: a header line from the horizontal header data, then one line per
// row (top-level rows only), UTF-8, fields with separators/quotes/newlines quoted.
QString exportModelCsv(const QAbstractItemModel* model, const QString& path);
QString exportTableCsv(const QTableView* table, const QString& path);

// One CSV line (no newline) with the fields quoted as RFC 4180 requires.
QString csvLine(const QStringList& fields);

// What a view can write; `write(path)` returns "" or an error.
struct ExportTarget {
  QString label;         // "Heatmap", "Clusters (table)"
  QStringList suffixes;  // {"png", "pdf"} or {"csv"}
  std::function<QString(const QString& path)> write;
};

// Asks for a file name with the target's suffix filters (a name without a suffix
// gets the chosen filter's); "" when cancelled.
QString askExportPath(QWidget* parent, const ExportTarget& target);
// Writes `target` to `path`, reporting an error in a message box; returns the error.
QString writeExportReportingErrors(QWidget* parent, const ExportTarget& target,
                                   const QString& path);
// askExportPath, then writeExportReportingErrors.
void exportWithDialog(QWidget* parent, const ExportTarget& target);
// Adds one "Export <label>…" action per target to `menu`.
void addExportActions(QMenu* menu, QWidget* parent, const QList<ExportTarget>& targets);
// Gives `widget` a context menu with the export actions.
void installExportContextMenu(QWidget* widget, const QList<ExportTarget>& targets);

}  // namespace tensorpoly::ui
