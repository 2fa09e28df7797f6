// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/cluster_view.h"

#include <gtest/gtest.h>

#include <QStandardItemModel>
#include <QTest>
#include <cmath>
#include <random>
#include <set>

#include "ui/qcustomplot_include.h"
#include "ui/ui_test_support.h"

namespace tensorpoly::ui {
namespace {

constexpr int kFamilies = 3;
constexpr int kPerFamily = 4;
constexpr int kSkills = 6;

// Planted structure: family f routes mostly to skills 2f and 2f+1, plus noise;
// tasks are interleaved (task t belongs to family t % 3) so that index order is
// not cluster order. Two layers.
std::vector<RoutingMatrix> plantedRouting(TaskLabels* tasks) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> noise(0.0f, 0.05f);
  const int n = kFamilies * kPerFamily;
  tasks->clear();
  for (int t = 0; t < n; ++t)
    tasks->push_back(
        {QStringLiteral("task%1").arg(t), QStringLiteral("family%1").arg(t % kFamilies)});
  std::vector<RoutingMatrix> layers;
  for (const char* name :
       {"encoder.block.0.layer.0.SelfAttention.q", "decoder.block.0.layer.2.DenseReluDense.wo"}) {
    std::vector<float> values;
    for (int t = 0; t < n; ++t) {
      std::vector<float> row(kSkills);
      float total = 0.0f;
      for (int s = 0; s < kSkills; ++s) {
        row[static_cast<size_t>(s)] = (s / 2 == t % kFamilies ? 1.0f : 0.05f) + noise(rng);
        total += row[static_cast<size_t>(s)];
      }
      for (float v : row) values.push_back(v / total);
    }
    layers.push_back(testing::skillsMatrix(name, n, kSkills, values));
  }
  return layers;
}

class ClusterViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::ensureApplication();
    view.resize(900, 700);
    view.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&view));
    routing = plantedRouting(&tasks);
    view.setRouting(routing, tasks);
    view.plot()->replot(QCustomPlot::rpImmediateRefresh);
  }
  testing::ApplicationGuard application_;
  ClusterView view;
  TaskLabels tasks;
  std::vector<RoutingMatrix> routing;
};

TEST_F(ClusterViewTest, ShowsAriAndNmiForPlantedFamilies) {
  // k defaults to the number of known families.
  const std::vector<int>& labels = view.clusterLabels();
  ASSERT_EQ(labels.size(), static_cast<size_t>(kFamilies * kPerFamily));
  EXPECT_EQ(std::set<int>(labels.begin(), labels.end()).size(), static_cast<size_t>(kFamilies));
  EXPECT_DOUBLE_EQ(view.adjustedRandIndex(), 1.0);
  EXPECT_NEAR(view.normalizedMutualInformation(), 1.0, 1e-12);
  const QString text = view.agreementText();
  EXPECT_TRUE(text.contains(QStringLiteral("ARI 1.000"))) << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("NMI 1.000"))) << text.toStdString();
  // Two clusters cannot match three families.
  view.setClusterCount(2);
  EXPECT_LT(view.adjustedRandIndex(), 1.0);
  EXPECT_LT(view.normalizedMutualInformation(), 1.0);
}

TEST_F(ClusterViewTest, DendrogramOrderKeepsFamiliesTogether) {
  const std::vector<int64_t>& order = view.leafOrder();
  ASSERT_EQ(order.size(), static_cast<size_t>(kFamilies * kPerFamily));
  int family_changes = 0;
  for (size_t i = 1; i < order.size(); ++i)
    family_changes += (order[i] % kFamilies) != (order[i - 1] % kFamilies);
  EXPECT_EQ(family_changes, kFamilies - 1);
  // The heatmap is reordered: the first two rows are the same family, similarity ~1.
  const QPoint pixel = view.pixelOf(static_cast<int>(order[0]), static_cast<int>(order[1]));
  const QString text = view.hoverText(pixel);
  EXPECT_TRUE(text.contains(tasks[static_cast<size_t>(order[0])].name)) << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("similarity 0.9"))) << text.toStdString();
}

TEST_F(ClusterViewTest, ClustersAreListedWithTheirTasks) {
  QStandardItemModel* table = view.clusterTable();
  ASSERT_EQ(table->rowCount(), kFamilies);
  for (int row = 0; row < table->rowCount(); ++row) {
    EXPECT_EQ(table->item(row, 1)->data(Qt::DisplayRole).toInt(), kPerFamily);
    EXPECT_EQ(table->item(row, 2)->text().count(QLatin1Char(',')), kPerFamily - 1);
    EXPECT_TRUE(table->item(row, 3)->text().endsWith(QStringLiteral("×4")))
        << table->item(row, 3)->text().toStdString();
  }
}

TEST_F(ClusterViewTest, LinkageAndDistanceCut) {
  for (auto linkage :
       {analysis::Linkage::kSingle, analysis::Linkage::kComplete, analysis::Linkage::kWard}) {
    view.setLinkage(linkage);
    EXPECT_DOUBLE_EQ(view.adjustedRandIndex(), 1.0) << analysis::linkage_name(linkage);
  }
  view.setLinkage(analysis::Linkage::kAverage);
  view.setDistanceCut(0.0);  // nothing merges at distance 0: one cluster per task
  const std::vector<int>& labels = view.clusterLabels();
  EXPECT_EQ(std::set<int>(labels.begin(), labels.end()).size(), labels.size());
  view.setDistanceCut(10.0);  // everything merges
  EXPECT_EQ(std::set<int>(view.clusterLabels().begin(), view.clusterLabels().end()).size(), 1u);
}

TEST_F(ClusterViewTest, WithoutFamiliesAgreementIsUnknown) {
  for (TaskLabel& task : tasks) task.family.clear();
  view.setRouting(routing, tasks);
  EXPECT_TRUE(std::isnan(view.adjustedRandIndex()));
  EXPECT_TRUE(view.agreementText().contains(QStringLiteral("unknown")));
}

TEST_F(ClusterViewTest, AZeroRoutingRowIsReportedNotCrashed) {
  routing[0].values.assign(routing[0].values.size(), 0.0f);
  routing[1].values.assign(routing[1].values.size(), 0.0f);
  view.setRouting(routing, tasks);
  EXPECT_FALSE(view.errorText().isEmpty());
  EXPECT_TRUE(view.leafOrder().empty());
}

}  // namespace
}  // namespace tensorpoly::ui
