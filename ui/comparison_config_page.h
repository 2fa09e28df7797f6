// The comparison's config tab: the fields in which the runs' configs differ (dotted
// keys, one column per run; see tensorpoly/config_diff.h); identical fields are not
// listed.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <vector>

#include "tensorpoly/config_diff.h"
#include "ui/comparison_page.h"

class QLabel;
class QTableWidget;

namespace tensorpoly::ui {

class ComparisonConfigPage : public ComparisonPage {
  Q_OBJECT

 public:
  explicit ComparisonConfigPage(QWidget* parent = nullptr);

  void setRuns(sessions::Store* store, const std::vector<ComparedRun>& runs) override;
  void clear() override;
  QList<ExportTarget> exportTargets() const override;

  const std::vector<ConfigDifference>& differences() const { return differences_; }
  QTableWidget* table() const { return table_; }

 private:
  std::vector<ConfigDifference> differences_;
  QLabel* summary_ = nullptr;
  QTableWidget* table_ = nullptr;
};

}  // namespace tensorpoly::ui
