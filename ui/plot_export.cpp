// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/plot_export.h"

#include <QAbstractItemModel>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QSaveFile>
#include <QTableView>
#include <QTextStream>

#include "ui/qcustomplot_include.h"

namespace tensorpoly::ui {
namespace {

QString csvField(const QString& text) {
  if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')) &&
      !text.contains(QLatin1Char('\n')) && !text.contains(QLatin1Char('\r')))
    return text;
  QString quoted = text;
  quoted.replace(QLatin1String("\""), QLatin1String("\"\""));
  return QLatin1Char('"') + quoted + QLatin1Char('"');
}

QString cellText(const QVariant& value) {
  // Numbers at full precision: a CSV is for re-analysis, not for display.
  if (value.typeId() == QMetaType::Double || value.typeId() == QMetaType::Float)
    return QString::number(value.toDouble(), 'g', 9);
  return value.toString();
}

QString checkWritten(const QString& path) {
  const QFileInfo info(path);
  if (!info.exists() || info.size() == 0) return QStringLiteral("could not write %1").arg(path);
  return {};
}

}  // namespace

QString csvLine(const QStringList& fields) {
  QStringList quoted;
  quoted.reserve(fields.size());
  for (const QString& field : fields) quoted << csvField(field);
  return quoted.join(QLatin1Char(','));
}

QString exportPlotPng(QCustomPlot* plot, const QString& path, int width, int height, double scale) {
  if (plot == nullptr) return QStringLiteral("no plot to export to %1").arg(path);
  if (!plot->savePng(path, width, height, scale))
    return QStringLiteral("could not write PNG %1").arg(path);
  return checkWritten(path);
}

QString exportPlotPdf(QCustomPlot* plot, const QString& path, int width, int height) {
  if (plot == nullptr) return QStringLiteral("no plot to export to %1").arg(path);
  if (!plot->savePdf(path, width, height))
    return QStringLiteral("could not write PDF %1").arg(path);
  return checkWritten(path);
}

QString exportPlot(QCustomPlot* plot, const QString& path) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (suffix == QLatin1String("png")) return exportPlotPng(plot, path);
  if (suffix == QLatin1String("pdf")) return exportPlotPdf(plot, path);
  return QStringLiteral("%1: a plot exports to .png or .pdf, not .%2").arg(path, suffix);
}

QString exportModelCsv(const QAbstractItemModel* model, const QString& path) {
  if (model == nullptr) return QStringLiteral("no table to export to %1").arg(path);
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Text))
    return QStringLiteral("could not open %1 for writing: %2").arg(path, file.errorString());
  QTextStream out(&file);
  out.setEncoding(QStringConverter::Utf8);
  const int columns = model->columnCount();
  QStringList fields;
  for (int c = 0; c < columns; ++c)
    fields << csvField(model->headerData(c, Qt::Horizontal, Qt::DisplayRole).toString());
  out << fields.join(QLatin1Char(',')) << '\n';
  for (int r = 0; r < model->rowCount(); ++r) {
    fields.clear();
    for (int c = 0; c < columns; ++c)
      fields << csvField(cellText(model->data(model->index(r, c), Qt::DisplayRole)));
    out << fields.join(QLatin1Char(',')) << '\n';
  }
  out.flush();
  if (!file.commit()) return QStringLiteral("could not write %1: %2").arg(path, file.errorString());
  return {};
}

QString exportTableCsv(const QTableView* table, const QString& path) {
  if (table == nullptr) return QStringLiteral("no table to export to %1").arg(path);
  return exportModelCsv(table->model(), path);
}

QString askExportPath(QWidget* parent, const ExportTarget& target) {
  QStringList filters;
  for (const QString& suffix : target.suffixes)
    filters << QStringLiteral("%1 (*.%2)").arg(suffix.toUpper(), suffix);
  QString selected_filter;
  QString path =
      QFileDialog::getSaveFileName(parent, QObject::tr("Export %1").arg(target.label), QString(),
                                   filters.join(QLatin1String(";;")), &selected_filter);
  if (path.isEmpty()) return {};
  if (QFileInfo(path).suffix().isEmpty()) {
    const int i = static_cast<int>(filters.indexOf(selected_filter));
    path += QLatin1Char('.') + target.suffixes.value(std::max(0, i));
  }
  return path;
}

QString writeExportReportingErrors(QWidget* parent, const ExportTarget& target,
                                   const QString& path) {
  const QString error = target.write(path);
  if (!error.isEmpty()) QMessageBox::warning(parent, QObject::tr("Export failed"), error);
  return error;
}

void exportWithDialog(QWidget* parent, const ExportTarget& target) {
  const QString path = askExportPath(parent, target);
  if (!path.isEmpty()) writeExportReportingErrors(parent, target, path);
}

void addExportActions(QMenu* menu, QWidget* parent, const QList<ExportTarget>& targets) {
  for (const ExportTarget& target : targets) {
    QAction* action = menu->addAction(QObject::tr("Export %1…").arg(target.label));
    QObject::connect(action, &QAction::triggered, parent,
                     [parent, target] { exportWithDialog(parent, target); });
  }
}

void installExportContextMenu(QWidget* widget, const QList<ExportTarget>& targets) {
  widget->setContextMenuPolicy(Qt::CustomContextMenu);
  QObject::connect(widget, &QWidget::customContextMenuRequested, widget,
                   [widget, targets](const QPoint& pos) {
                     QMenu menu(widget);
                     addExportActions(&menu, widget, targets);
                     menu.exec(widget->mapToGlobal(pos));
                   });
}

}  // namespace tensorpoly::ui
