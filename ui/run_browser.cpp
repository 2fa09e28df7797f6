// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/run_browser.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace tensorpoly::ui {

namespace {
constexpr int kDatabaseRole = Qt::UserRole;
constexpr int kIdRole = Qt::UserRole + 1;

bool same(const sessions::RunRef& a, const sessions::RunRef& b) {
  return a.database == b.database && a.id == b.id;
}

// The runs of a study together, where the study's newest run would be; the rest (and
// the order within a study) as listed.
void groupByStudy(std::vector<sessions::RunSummary>& runs) {
  std::map<std::pair<std::string, std::string>, size_t> first;  // (database, study) -> row
  std::vector<size_t> key(runs.size());
  for (size_t row = 0; row < runs.size(); ++row) {
    const auto& run = runs[row];
    key[row] = run.study.empty()
                   ? row
                   : first.emplace(std::make_pair(run.database, run.study), row).first->second;
  }
  std::vector<size_t> order(runs.size());
  for (size_t row = 0; row < order.size(); ++row) order[row] = row;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key[a] < key[b]; });
  std::vector<sessions::RunSummary> grouped;
  grouped.reserve(runs.size());
  for (size_t row : order) grouped.push_back(std::move(runs[row]));
  runs = std::move(grouped);
}
}  // namespace

RunBrowser::RunBrowser(QWidget* parent) : QWidget(parent) {
  filter_edit_ = new QLineEdit;
  filter_edit_->setObjectName(QStringLiteral("runFilter"));
  filter_edit_->setPlaceholderText(tr("Filter by name, method, status, notes or study"));
  filter_edit_->setClearButtonEnabled(true);
  table_ = new QTableWidget(0, kColumnCount);
  table_->setObjectName(QStringLiteral("runTable"));
  table_->setHorizontalHeaderLabels({tr("Id"), tr("Name"), tr("Status"), tr("Method"), tr("Study"),
                                     tr("Last step"), tr("Created"), tr("Database"), tr("Notes")});
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->verticalHeader()->hide();
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  table_->setAlternatingRowColors(true);
  rename_button_ = new QPushButton(tr("Rename…"));
  notes_button_ = new QPushButton(tr("Notes…"));
  delete_button_ = new QPushButton(tr("Delete…"));
  delete_button_->setObjectName(QStringLiteral("deleteRunsButton"));
  compare_button_ = new QPushButton(tr("Compare"));
  compare_button_->setObjectName(QStringLiteral("compareButton"));
  compare_button_->setToolTip(tr("Select two or more runs to compare them"));
  compare_study_button_ = new QPushButton(tr("Compare study"));
  compare_study_button_->setObjectName(QStringLiteral("compareStudyButton"));
  compare_study_button_->setToolTip(
      tr("Compare every run of the selected run's study: mean curves per method with a 95 % "
         "confidence band"));
  attach_button_ = new QPushButton(tr("Attach database…"));
  count_label_ = new QLabel;

  auto* buttons = new QHBoxLayout;
  buttons->addWidget(filter_edit_, 1);
  buttons->addWidget(rename_button_);
  buttons->addWidget(notes_button_);
  buttons->addWidget(delete_button_);
  buttons->addWidget(compare_button_);
  buttons->addWidget(compare_study_button_);
  buttons->addWidget(attach_button_);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(2, 2, 2, 2);
  layout->addLayout(buttons);
  layout->addWidget(table_, 1);
  layout->addWidget(count_label_);

  connect(filter_edit_, &QLineEdit::textChanged, this, &RunBrowser::reload);
  connect(table_, &QTableWidget::itemSelectionChanged, this, &RunBrowser::onSelectionChanged);
  connect(rename_button_, &QPushButton::clicked, this, &RunBrowser::askRename);
  connect(notes_button_, &QPushButton::clicked, this, &RunBrowser::askNotes);
  connect(delete_button_, &QPushButton::clicked, this, [this] {
    const QString error = deleteRuns(selectedRuns());
    if (!error.isEmpty() && error != QLatin1String("cancelled")) showError(error);
  });
  connect(compare_button_, &QPushButton::clicked, this,
          [this] { Q_EMIT compareRequested(selectedRuns()); });
  connect(compare_study_button_, &QPushButton::clicked, this, [this] { compareStudy(); });
  connect(attach_button_, &QPushButton::clicked, this, &RunBrowser::attachRequested);
  onSelectionChanged();
}

void RunBrowser::setStore(sessions::Store* store) {
  store_ = store;
  reload();
}

void RunBrowser::reload() {
  const std::vector<sessions::RunRef> selected = selectedRuns();
  reloading_ = true;
  std::vector<sessions::RunSummary> runs;
  QString error;
  if (store_) {
    try {
      sessions::RunFilter filter;
      filter.text = filter_edit_->text().trimmed().toStdString();
      runs = store_->list_runs(filter);
    } catch (const std::exception& e) {
      error = QString::fromStdString(e.what());
    }
  }
  groupByStudy(runs);
  table_->setSortingEnabled(false);
  table_->setRowCount(static_cast<int>(runs.size()));
  for (int row = 0; row < static_cast<int>(runs.size()); ++row) {
    const sessions::RunSummary& run = runs[static_cast<size_t>(row)];
    const QStringList cells = {
        QString::number(run.id),
        QString::fromStdString(run.name),
        QString::fromStdString(run.status),
        QString::fromStdString(run.method),
        QString::fromStdString(run.study),
        QString::number(run.last_step),
        QString::fromStdString(run.created_at),
        QString::fromStdString(run.database),
        QString::fromStdString(run.notes).replace(QLatin1Char('\n'), QLatin1Char(' '))};
    for (int column = 0; column < cells.size(); ++column) {
      auto* item = new QTableWidgetItem(cells[column]);
      item->setData(kDatabaseRole, QString::fromStdString(run.database));
      item->setData(kIdRole, static_cast<qlonglong>(run.id));
      if (column == kNotes) item->setToolTip(QString::fromStdString(run.notes));
      if (column == kDatabase) item->setToolTip(QString::fromStdString(run.source));
      table_->setItem(row, column, item);
    }
  }
  selectRuns(selected);
  count_label_->setText(error.isEmpty() ? tr("%n run(s)", nullptr, static_cast<int>(runs.size()))
                                        : error);
  // The buttons follow the (kept) selection, but no runActivated: a reload during a
  // live run would otherwise make the window re-read the shown run once more.
  onSelectionChanged();
  reloading_ = false;
}

sessions::RunRef RunBrowser::runAt(int row) const {
  const QTableWidgetItem* item = table_->item(row, kId);
  if (!item) return sessions::RunRef(0);
  return sessions::RunRef(item->data(kDatabaseRole).toString().toStdString(),
                          item->data(kIdRole).toLongLong());
}

int RunBrowser::rowOf(const sessions::RunRef& run) const {
  for (int row = 0; row < table_->rowCount(); ++row) {
    if (same(runAt(row), run)) return row;
  }
  return -1;
}

std::vector<sessions::RunRef> RunBrowser::selectedRuns() const {
  std::set<int> rows;
  for (const QModelIndex& index : table_->selectionModel()->selectedRows())
    rows.insert(index.row());
  std::vector<sessions::RunRef> runs;
  for (const int row : rows) runs.push_back(runAt(row));
  return runs;
}

void RunBrowser::selectRuns(const std::vector<sessions::RunRef>& runs) {
  const bool was_reloading = reloading_;
  reloading_ = true;
  table_->clearSelection();
  bool first = true;
  for (const sessions::RunRef& run : runs) {
    const int row = rowOf(run);
    if (row < 0) continue;
    if (first) {
      table_->setCurrentCell(row, 0,
                             QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
      first = false;
    } else {
      table_->selectionModel()->select(table_->model()->index(row, 0),
                                       QItemSelectionModel::Select | QItemSelectionModel::Rows);
    }
  }
  reloading_ = was_reloading;
  if (!reloading_) onSelectionChanged();
}

void RunBrowser::onSelectionChanged() {
  const std::vector<sessions::RunRef> selected = selectedRuns();
  bool all_main = !selected.empty();
  for (const auto& run : selected) all_main = all_main && run.database == sessions::kMainDatabase;
  const bool writable = store_ && !store_->read_only();
  rename_button_->setEnabled(selected.size() == 1 && all_main && writable);
  notes_button_->setEnabled(selected.size() == 1 && all_main && writable);
  delete_button_->setEnabled(all_main && writable);
  compare_button_->setEnabled(selected.size() >= 2);
  compare_study_button_->setEnabled(
      !selected.empty() && !table_->item(rowOf(selected.front()), kStudy)->text().isEmpty());
  attach_button_->setEnabled(store_ != nullptr);
  if (reloading_) return;
  if (selected.size() == 1) Q_EMIT runActivated(selected.front());
}

bool RunBrowser::compareStudy() {
  const std::vector<sessions::RunRef> selected = selectedRuns();
  if (selected.empty()) return false;
  const int row = rowOf(selected.front());
  const QString study = table_->item(row, kStudy)->text();
  const QString database = table_->item(row, kDatabase)->text();
  if (study.isEmpty()) return false;
  std::vector<sessions::RunRef> runs;
  for (int other = 0; other < table_->rowCount(); ++other) {
    if (table_->item(other, kStudy)->text() == study &&
        table_->item(other, kDatabase)->text() == database)
      runs.push_back(runAt(other));
  }
  selectRuns(runs);
  Q_EMIT compareRequested(runs);
  return true;
}

QString RunBrowser::renameRun(const sessions::RunRef& run, const QString& name) {
  if (!store_) return tr("No database is open.");
  if (run.database != sessions::kMainDatabase)
    return tr("Runs of attached databases are read-only.");
  if (name.trimmed().isEmpty()) return tr("A run's name must not be empty.");
  try {
    store_->rename_run(run.id, name.trimmed().toStdString());
  } catch (const std::exception& error) {
    return QString::fromStdString(error.what());
  }
  reload();
  Q_EMIT runsEdited();
  return {};
}

QString RunBrowser::setNotes(const sessions::RunRef& run, const QString& notes) {
  if (!store_) return tr("No database is open.");
  if (run.database != sessions::kMainDatabase)
    return tr("Runs of attached databases are read-only.");
  try {
    store_->set_notes(run.id, notes.toStdString());
  } catch (const std::exception& error) {
    return QString::fromStdString(error.what());
  }
  reload();
  Q_EMIT runsEdited();
  return {};
}

QString RunBrowser::deleteRuns(const std::vector<sessions::RunRef>& runs, bool ask) {
  if (!store_) return tr("No database is open.");
  if (runs.empty()) return tr("No run selected.");
  QStringList names;
  for (const auto& run : runs) {
    if (run.database != sessions::kMainDatabase)
      return tr("Runs of attached databases are read-only.");
    const int row = rowOf(run);
    const QString name = row >= 0 ? table_->item(row, kName)->text() : QString();
    names << tr("run %1 “%2”").arg(run.id).arg(name);
  }
  if (ask) {
    const auto answer = QMessageBox::question(
        this, tr("Delete runs"),
        tr("Delete %1 with all its metrics, routing snapshots and evaluations?\n"
           "This cannot be undone.")
            .arg(names.join(QStringLiteral(", "))),
        QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer != QMessageBox::Yes) return QStringLiteral("cancelled");
  }
  try {
    for (const auto& run : runs) store_->delete_run(run.id);
  } catch (const std::exception& error) {
    reload();
    return QString::fromStdString(error.what());
  }
  reload();
  Q_EMIT runsEdited();
  return {};
}

void RunBrowser::askRename() {
  const auto runs = selectedRuns();
  if (runs.size() != 1) return;
  const int row = rowOf(runs.front());
  bool ok = false;
  const QString name = QInputDialog::getText(this, tr("Rename run"), tr("Name:"), QLineEdit::Normal,
                                             table_->item(row, kName)->text(), &ok);
  if (!ok) return;
  const QString error = renameRun(runs.front(), name);
  if (!error.isEmpty()) showError(error);
}

void RunBrowser::askNotes() {
  const auto runs = selectedRuns();
  if (runs.size() != 1) return;
  const int row = rowOf(runs.front());
  bool ok = false;
  const QString notes =
      QInputDialog::getMultiLineText(this, tr("Notes"), tr("Notes on run %1:").arg(runs.front().id),
                                     table_->item(row, kNotes)->toolTip(), &ok);
  if (!ok) return;
  const QString error = setNotes(runs.front(), notes);
  if (!error.isEmpty()) showError(error);
}

void RunBrowser::showError(const QString& error) { QMessageBox::warning(this, tr("Runs"), error); }

}  // namespace tensorpoly::ui
