// ClusterView (cluster_view.h): which tasks are clustered (the training tasks unless
// held-out ones are asked for, as tensorpoly-run analyze), and what the agreement with
// the planted factors says about them.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <QCheckBox>
#include <QLabel>
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "ui/cluster_view.h"
#include "ui/plot_panel.h"

namespace tensorpoly::ui {

void ClusterView::setRouting(const std::vector<RoutingMatrix>& layers, const TaskLabels& tasks,
                             int64_t step) {
  all_routing_ = layers;
  all_tasks_ = tasks;
  step_ = step;
  selection_->setTaskCount(static_cast<int>(all_tasks_.size()));
  selectTasks();
  recompute();
}

void ClusterView::clear() {
  panel_->clearHover();
  setRouting({}, {});
}

void ClusterView::setIncludeHeldout(bool include) {
  include_heldout_ = include;
  updating_controls_ = true;
  heldout_check_->setChecked(include);
  updating_controls_ = false;
  selectTasks();
  recompute();
}

void ClusterView::selectTasks() {
  rows_.clear();
  routing_.clear();
  tasks_.clear();
  position_of_row_.assign(all_tasks_.size(), -1);
  // A routing whose rows are not the run's tasks is reported by recompute().
  if (all_routing_.empty() ||
      all_routing_.front().n_tasks() != static_cast<int64_t>(all_tasks_.size())) {
    return;
  }
  rows_ = analysis::analysed_tasks(static_cast<int64_t>(all_tasks_.size()), taskInfos(all_tasks_),
                                   include_heldout_);
  try {
    routing_ = analysis::select_tasks(all_routing_, rows_);
  } catch (const std::invalid_argument&) {
    rows_.clear();  // layers of unequal task counts: recompute() says so
    return;
  }
  for (size_t position = 0; position < rows_.size(); ++position) {
    tasks_.push_back(all_tasks_[static_cast<size_t>(rows_[position])]);
    position_of_row_[static_cast<size_t>(rows_[position])] = static_cast<int>(position);
  }
}

std::vector<int64_t> ClusterView::leafOrder() const {
  std::vector<int64_t> order;
  order.reserve(leaf_order_.size());
  for (int64_t position : leaf_order_) order.push_back(rows_[static_cast<size_t>(position)]);
  return order;
}

QString ClusterView::agreementText() const {
  if (!error_.isEmpty()) return error_;
  if (leaf_order_.empty()) return tr("No routing to cluster.");
  const int n_clusters = labels_.empty() ? 0 : *std::max_element(labels_.begin(), labels_.end());
  const QString where = step_ >= 0 ? tr("Step %1 · ").arg(step_) : QString();
  QString text = where +
                 QString::fromStdString(analysis::analysed_tasks_text(
                     rows_.size(), all_tasks_.size() - rows_.size())) +
                 tr(" · %1 clusters (%2 linkage)")
                     .arg(n_clusters)
                     .arg(QString::fromLatin1(analysis::linkage_name(linkage_)));
  const analysis::Agreement& a = agreement_;
  auto score = [](double value) { return QString::number(value, 'f', 3); };
  if (std::isnan(a.ari_vs_families)) {
    text += tr("\nAgreement with families: unknown (no family for some tasks)");
  } else {
    text +=
        tr("\nFamilies: ARI %1, NMI %2").arg(score(a.ari_vs_families), score(a.nmi_vs_families));
    if (!std::isnan(a.ari_vs_modifiers))
      text += tr(" · modifiers: ARI %1, NMI %2")
                  .arg(score(a.ari_vs_modifiers), score(a.nmi_vs_modifiers));
  }
  if (!std::isnan(a.spearman_similarity_vs_skill_overlap))
    text += tr(" · Spearman (routing cosine vs skill Jaccard) %1, p = %2 (%3 permutations)")
                .arg(score(a.spearman_similarity_vs_skill_overlap))
                .arg(a.spearman_p_value, 0, 'g', 3)
                .arg(a.permutations);
  return text;
}

}  // namespace tensorpoly::ui
