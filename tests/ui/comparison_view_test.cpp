// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/comparison_view.h"

#include <gtest/gtest.h>

#include <QCheckBox>
#include <QTableWidget>
#include <QTest>

#include "studio_test_support.h"
#include "ui/qcustomplot_include.h"
#include "ui/routing_heatmap_view.h"

namespace tensorpoly::ui {
namespace {

TEST(ConfigDiff, FlattensNestedJsonToDottedKeys) {
  const auto flat = flattenJson(R"({"a": {"b": 1, "c": [2, {"d": "x"}]}, "e": true, "f": {}})");
  const std::map<std::string, std::string> expected = {
      {"a.b", "1"}, {"a.c[0]", "2"}, {"a.c[1].d", "\"x\""}, {"e", "true"}, {"f", "{}"}};
  EXPECT_EQ(flat, expected);
  EXPECT_THROW(flattenJson("{"), std::invalid_argument);
}

TEST(ConfigDiff, ListsOnlyTheFieldsThatDiffer) {
  const auto differences = diffConfigs({R"({"x": 1, "y": {"z": 2, "w": 3}})",
                                        R"({"x": 1, "y": {"z": 5, "w": 3}, "v": 0})"});
  ASSERT_EQ(differences.size(), 2u);
  EXPECT_EQ(differences[0].key, "v");
  EXPECT_EQ(differences[0].values, (std::vector<std::string>{"", "0"}));
  EXPECT_EQ(differences[1].key, "y.z");
  EXPECT_EQ(differences[1].values, (std::vector<std::string>{"2", "5"}));
}

TEST(ComparisonView, ComparingTwoStoredRunsListsExactlyTheDifferingConfigFields) {
  testing::ensureApplication();
  const QString database = testing::tempPath("compare.sqlite");
  testing::FakeRun first;
  const int64_t a = testing::recordRun(database, first);
  testing::FakeRun second = first;
  second.config.adapter.rank = 4;
  second.config.train.router_learning_rate = 0.05;
  second.config.suite.synthetic.alphabet = "abcdefghij";
  second.loss_offset = 0.5;
  // The second run learnt the same skills in another order: its skill p[s] is skill s.
  const std::vector<int> permutation = {2, 0, 3, 1};
  second.routing.assign(3, std::vector<float>(4, 0.1f));
  for (int task = 0; task < 3; ++task) {
    second.routing[static_cast<size_t>(task)][static_cast<size_t>(permutation[static_cast<size_t>(task)])] = 0.7f;
  }
  const int64_t b = testing::recordRun(database, second);

  auto store = sessions::Store::open(database.toStdString());
  ComparisonView view;
  view.resize(1200, 700);
  view.show();
  ASSERT_EQ(view.setRuns(&store, {sessions::RunRef(a), sessions::RunRef(b)}), QString());

  std::vector<std::string> keys;
  for (const ConfigDifference& difference : view.configDifferences()) keys.push_back(difference.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"adapter.rank", "suite.alphabet", "train.router_learning_rate"}));
  ASSERT_EQ(view.configTable()->rowCount(), 3);
  EXPECT_EQ(view.configTable()->item(0, 0)->text(), "adapter.rank");
  EXPECT_EQ(view.configTable()->item(0, 1)->text(), "16");
  EXPECT_EQ(view.configTable()->item(0, 2)->text(), "4");

  // Curves: one per run.
  EXPECT_EQ(view.curvePlot()->graphCount(), 2);
  EXPECT_GT(view.curvePlot()->graph(0)->dataCount(), 0);

  // Final metrics: the first run has the lower eval loss on every task, so it is marked best.
  QTableWidget* metrics = view.metricTable();
  ASSERT_GT(metrics->rowCount(), 1);
  ASSERT_EQ(metrics->columnCount(), 3);
  bool found_best = false;
  for (int row = 0; row < metrics->rowCount(); ++row) {
    const bool first_best = metrics->item(row, 1)->data(Qt::UserRole + 1).toBool();
    const bool second_best = metrics->item(row, 2)->data(Qt::UserRole + 1).toBool();
    EXPECT_NE(first_best, second_best) << "row " << row;
    found_best = found_best || first_best || second_best;
    EXPECT_TRUE(metrics->item(row, first_best ? 1 : 2)->text().startsWith(QStringLiteral("★")));
  }
  EXPECT_TRUE(found_best);

  // Routing side by side, skills of the second run aligned to the first.
  ASSERT_EQ(view.heatmaps().size(), 2u);
  view.setLayer("encoder.block.0.layer.0.SelfAttention.q");
  EXPECT_EQ(view.shownSkillOrder(1), (std::vector<int>{2, 0, 3, 1}));
  EXPECT_EQ(view.heatmaps()[0]->currentStep(), view.heatmaps()[1]->currentStep());
  view.alignCheck()->setChecked(false);
  EXPECT_EQ(view.shownSkillOrder(1), (std::vector<int>{0, 1, 2, 3}));
  // The step follows from one heatmap to the other.
  view.setStep(10);
  EXPECT_EQ(view.heatmaps()[0]->currentStep(), 10);
  EXPECT_EQ(view.heatmaps()[1]->currentStep(), 10);
}

}  // namespace
}  // namespace tensorpoly::ui
