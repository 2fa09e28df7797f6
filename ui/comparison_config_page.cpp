// The comparison's config tab.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/comparison_config_page.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace tensorpoly::ui {

ComparisonConfigPage::ComparisonConfigPage(QWidget* parent) : ComparisonPage(parent) {
  summary_ = new QLabel;
  table_ = new QTableWidget;
  table_->setObjectName(QStringLiteral("configDiffTable"));
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->verticalHeader()->hide();
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(summary_);
  layout->addWidget(table_, 1);
}

void ComparisonConfigPage::clear() {
  differences_.clear();
  table_->clear();
  table_->setRowCount(0);
  summary_->clear();
}

void ComparisonConfigPage::setRuns(sessions::Store* /*store*/,
                                   const std::vector<ComparedRun>& runs) {
  std::vector<FlatConfig> configs;
  for (const ComparedRun& run : runs) configs.push_back(run.config);
  differences_ = diff_flat_configs(configs);
  table_->clear();
  table_->setColumnCount(static_cast<int>(runs.size()) + 1);
  QStringList headers{tr("Field")};
  for (const ComparedRun& run : runs) headers << run.label;
  table_->setHorizontalHeaderLabels(headers);
  table_->setRowCount(static_cast<int>(differences_.size()));
  for (int row = 0; row < static_cast<int>(differences_.size()); ++row) {
    const ConfigDifference& difference = differences_[static_cast<size_t>(row)];
    table_->setItem(row, 0, new QTableWidgetItem(QString::fromStdString(difference.key)));
    for (int column = 0; column < static_cast<int>(difference.values.size()); ++column) {
      const std::string& value = difference.values[static_cast<size_t>(column)];
      table_->setItem(
          row, column + 1,
          new QTableWidgetItem(value.empty() ? tr("(absent)") : QString::fromStdString(value)));
    }
  }
  table_->resizeColumnsToContents();
  summary_->setText(tr("%n field(s) differ; identical fields are not shown.", nullptr,
                       static_cast<int>(differences_.size())));
}

QList<ExportTarget> ComparisonConfigPage::exportTargets() const {
  return {ExportTarget{
      tr("Config diff"), {QStringLiteral("csv")}, [table = table_](const QString& path) {
        return exportModelCsv(table->model(), path);
      }}};
}

}  // namespace tensorpoly::ui
