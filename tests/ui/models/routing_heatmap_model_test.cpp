// The routing heatmap's model, without widgets and without a QApplication: the
// shown matrix (layer, mean, diff), row orders, the cluster-order cache, flags and
// the snapshot cache.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/routing_heatmap_model.h"

#include <gtest/gtest.h>

#include <QCoreApplication>
#include <algorithm>
#include <string>

namespace tensorpoly::ui {
namespace {

const std::string kLayer = "encoder.block.0.layer.0.SelfAttention.q";
const std::string kOther = "decoder.block.1.layer.2.DenseReluDense.wo";

RoutingMatrix skillsMatrix(const std::string& layer, int64_t tasks, int64_t skills,
                           std::vector<float> values) {
  RoutingMatrix matrix;
  matrix.layer = layer;
  matrix.kind = RoutingKind::kSkills;
  matrix.shape = {tasks, skills};
  matrix.values = std::move(values);
  return matrix;
}

// Two interleaved families over four skills: tasks 0 and 2 ("a") route to skills
// 0/1, task 1 ("b") to skill 2, and task 3 ("b") routes uniformly.
std::vector<RoutingMatrix> fourTasks() {
  return {skillsMatrix(kLayer, 4, 4,
                       {0.70f, 0.25f, 0.04f, 0.01f,    // z1
                        0.05f, 0.10f, 0.83f, 0.02f,    // b1
                        0.60f, 0.35f, 0.04f, 0.01f,    // a2
                        0.25f, 0.25f, 0.25f, 0.25f}),  // c2
          skillsMatrix(kOther, 4, 4,
                       {0.5f, 0.5f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f, 0.0f, 0.5f, 0.5f, 0.0f, 0.0f,
                        0.25f, 0.25f, 0.25f, 0.25f})};
}

// Names sort otherwise than families: by name a2 b1 c2 z1, by family (a) a2 z1 (b) b1 c2.
TaskLabels fourLabels() { return {{"z1", "a"}, {"b1", "b"}, {"a2", "a"}, {"c2", "b"}}; }

bool everyTask(int) { return true; }

class RoutingHeatmapModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The point of the model: none of this needs an application object.
    ASSERT_EQ(QCoreApplication::instance(), nullptr);
    model.setTasks(fourLabels());
  }
  RoutingHeatmapModel model;
};

TEST_F(RoutingHeatmapModelTest, MeanOverTheLayersShapedLikeTheFirstIsTheDefault) {
  auto routing = fourTasks();
  routing.push_back(skillsMatrix("encoder.router", 4, 2, std::vector<float>(8, 0.5f)));
  model.setRouting(100, routing);
  model.update(everyTask);
  ASSERT_TRUE(model.hasShown());
  EXPECT_EQ(model.currentStep(), 100);         // the first snapshot becomes current
  EXPECT_EQ(model.shown().mean_of_layers, 2);  // the [4, 2] layer is left out
  EXPECT_EQ(model.shown().skills(), 4);
  EXPECT_NEAR(model.shown().value(0, 1, 2), (0.83 + 1.0) / 2, 1e-7);
  EXPECT_EQ(model.layers(),
            (QStringList{QString::fromStdString(kLayer), QString::fromStdString(kOther),
                         QStringLiteral("encoder.router")}));
}

TEST_F(RoutingHeatmapModelTest, AChosenLayerShowsItsOwnWeightsAndAMissingOneNothing) {
  model.setRouting(100, fourTasks());
  model.setLayer(QString::fromStdString(kOther));
  model.update(everyTask);
  ASSERT_TRUE(model.hasShown());
  EXPECT_EQ(model.shown().mean_of_layers, 0);
  EXPECT_EQ(model.shown().value(0, 1, 2), 1.0);
  model.setLayer(QStringLiteral("encoder.block.9.missing"));
  model.update(everyTask);
  EXPECT_FALSE(model.hasShown());
  EXPECT_TRUE(model.rows().empty());
  EXPECT_TRUE(model.problem().isEmpty());
}

TEST_F(RoutingHeatmapModelTest, DiffShowsTheChangeOnceTheReferenceStepIsCached) {
  model.setLayer(QString::fromStdString(kLayer));
  auto later = fourTasks();
  later[0].values[1 * 4 + 2] = 0.93f;
  model.setRouting(20, later);
  model.setDiff(true, 10);
  EXPECT_TRUE(model.shows(10));
  model.update(everyTask);
  EXPECT_FALSE(model.hasShown());  // step 10 not there yet
  model.setRouting(10, fourTasks());
  model.update(everyTask);
  ASSERT_TRUE(model.hasShown());
  EXPECT_NEAR(model.shown().value(0, 1, 2), 0.93 - 0.83, 1e-6);
  EXPECT_NEAR(model.shown().base.at(0, 1, 2), 0.93, 1e-6);  // the current step itself
  // Without a reference step the first one is taken.
  model.setDiff(true, -1);
  EXPECT_EQ(model.referenceStep(), 10);
}

TEST_F(RoutingHeatmapModelTest, RowsByIndexNameFamilyOrClusterLeaveHiddenTasksOut) {
  model.setRouting(100, fourTasks());
  model.update(everyTask);
  EXPECT_EQ(model.rows(), (std::vector<int>{0, 1, 2, 3}));
  model.setRowOrder(RoutingHeatmapModel::RowOrder::kName);
  model.update(everyTask);
  EXPECT_EQ(model.rows(), (std::vector<int>{2, 1, 3, 0}));
  model.setRowOrder(RoutingHeatmapModel::RowOrder::kFamily);
  model.update([](int task) { return task != 3; });
  EXPECT_EQ(model.rows(), (std::vector<int>{2, 0, 1}));
  EXPECT_EQ(model.rowOfTask(3), -1);
  EXPECT_EQ(model.rowOfTask(0), 1);
  model.setRowOrder(RoutingHeatmapModel::RowOrder::kCluster);
  model.update(everyTask);
  const std::vector<int> rows = model.rows();
  const auto z1 = std::find(rows.begin(), rows.end(), 0) - rows.begin();
  const auto a2 = std::find(rows.begin(), rows.end(), 2) - rows.begin();
  EXPECT_EQ(std::abs(z1 - a2), 1);  // routed alike: neighbours in the dendrogram
}

TEST_F(RoutingHeatmapModelTest, AnExternalClusterOrderIsUsedWhileItCoversEveryTask) {
  model.setRouting(100, fourTasks());
  model.setRowOrder(RoutingHeatmapModel::RowOrder::kCluster);
  model.setExternalClusterOrder({2, 0, 3, 1});
  model.update(everyTask);
  EXPECT_EQ(model.rows(), (std::vector<int>{2, 0, 3, 1}));
  EXPECT_EQ(model.clusterOrderComputations(), 0);
  model.setExternalClusterOrder({2, 0});  // another run's: computed here instead
  model.update(everyTask);
  EXPECT_EQ(model.clusterOrderComputations(), 1);
  EXPECT_EQ(model.rows().size(), 4u);
}

TEST_F(RoutingHeatmapModelTest, ClusterOrdersAreCachedPerStepLayerAndBlock) {
  model.setRouting(100, fourTasks());
  model.setRowOrder(RoutingHeatmapModel::RowOrder::kCluster);
  model.update(everyTask);
  model.update(everyTask);
  EXPECT_EQ(model.clusterOrderComputations(), 1);
  model.setLayer(QString::fromStdString(kLayer));
  model.update(everyTask);
  EXPECT_EQ(model.clusterOrderComputations(), 2);
  model.setLayer(QString());
  model.update(everyTask);
  EXPECT_EQ(model.clusterOrderComputations(), 2);
  model.setRouting(100, fourTasks());  // new routing for the step
  model.update(everyTask);
  EXPECT_EQ(model.clusterOrderComputations(), 3);
  EXPECT_FALSE(model.setTasks(fourLabels()));  // the same tasks keep the orders
  model.update(everyTask);
  EXPECT_EQ(model.clusterOrderComputations(), 3);
  EXPECT_TRUE(model.setTasks({{"p", "a"}, {"q", "b"}, {"r", "a"}, {"s", "b"}}));
  model.update(everyTask);
  EXPECT_EQ(model.clusterOrderComputations(), 4);
}

TEST_F(RoutingHeatmapModelTest, FlagsAreThoseOfTheShownRoutingAndBlocks) {
  model.setLayer(QString::fromStdString(kLayer));
  model.setRouting(100, fourTasks());
  model.update(everyTask);
  EXPECT_EQ(model.flags().uniform_tasks, std::vector<int>{3});
  EXPECT_TRUE(model.flags().collapsed_skills.empty());
  EXPECT_TRUE(model.isUniformTask(3));
  EXPECT_FALSE(model.isUniformTask(0));

  // Two orders: the first uniform for every task, the second all on skill 1.
  RoutingMatrix orders;
  orders.layer = kLayer;
  orders.kind = RoutingKind::kOrders;
  orders.shape = {2, 4, 4};
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 16; ++i) orders.values.push_back(b == 0 ? 0.25f : (i % 4 == 1 ? 1.f : 0.f));
  model.setRouting(200, {orders});
  model.setCurrentStep(200);
  model.setBlock(1);
  model.update(everyTask);
  EXPECT_EQ(model.shownBlocks(), std::vector<int>{1});
  EXPECT_EQ(model.flags().collapsed_skills, (std::vector<int>{0, 2, 3}));
  EXPECT_TRUE(model.isCollapsedSkill(2));
  EXPECT_TRUE(model.flags().uniform_tasks.empty());
  model.setBlock(0);
  model.update(everyTask);
  EXPECT_EQ(model.flags().uniform_tasks, (std::vector<int>{0, 1, 2, 3}));
  model.setBlock(-1);  // both: the entropy ratio averages to 0.5, every skill is used
  model.update(everyTask);
  EXPECT_EQ(model.shownBlocks(), (std::vector<int>{0, 1}));
  EXPECT_TRUE(model.flags().uniform_tasks.empty());
  EXPECT_TRUE(model.flags().collapsed_skills.empty());
}

// A held-out task's row never trained: near-uniform by construction, so it raises no
// flag (the flags are over the tasks the router was trained on).
TEST_F(RoutingHeatmapModelTest, HeldOutTasksRaiseNoFlag) {
  TaskLabels labels = fourLabels();
  labels[3].split = QStringLiteral("heldout");
  model.setTasks(labels);
  model.setLayer(QString::fromStdString(kLayer));
  model.setRouting(100, fourTasks());
  model.update(everyTask);
  EXPECT_TRUE(model.flags().uniform_tasks.empty());
  EXPECT_FALSE(model.isUniformTask(3));
  // A training task that routes uniformly is still flagged, by its own index.
  labels[3].split = QStringLiteral("train");
  labels[1].split = QStringLiteral("heldout");
  model.setTasks(labels);
  model.update(everyTask);
  EXPECT_EQ(model.flags().uniform_tasks, std::vector<int>{3});
}

TEST_F(RoutingHeatmapModelTest, TheCacheDropsTheSnapshotFarthestFromTheCurrentStep) {
  for (int64_t step = 0; step < RoutingHeatmapModel::kCacheSize; ++step)
    model.setRouting(step * 10, fourTasks());
  model.setCurrentStep(150);
  model.setDiff(true, 0);  // the reference is kept although it is the farthest
  model.setRouting(160, fourTasks());
  EXPECT_EQ(model.cachedSnapshots(), RoutingHeatmapModel::kCacheSize);
  EXPECT_TRUE(model.hasRouting(0));
  EXPECT_FALSE(model.hasRouting(10));
  EXPECT_TRUE(model.hasRouting(150));
  EXPECT_TRUE(model.hasRouting(160));
  // The steps list keeps every step, sorted.
  EXPECT_EQ(model.steps().size(), static_cast<size_t>(RoutingHeatmapModel::kCacheSize + 1));
  EXPECT_TRUE(std::is_sorted(model.steps().begin(), model.steps().end()));
}

TEST_F(RoutingHeatmapModelTest, FollowsTheLastStepUntilScrubbedBack) {
  EXPECT_TRUE(model.followsLastStep());  // nothing yet
  model.setSteps({30, 10, 20});
  EXPECT_EQ(model.steps(), (std::vector<int64_t>{10, 20, 30}));
  model.setCurrentStep(30);
  EXPECT_TRUE(model.followsLastStep());
  model.setCurrentStep(20);
  EXPECT_FALSE(model.followsLastStep());
  model.setLayer(QString::fromStdString(kLayer));
  model.setBlock(-1);
  model.setRowOrder(RoutingHeatmapModel::RowOrder::kName);
  model.clear();  // another run: data goes, the choices stay
  EXPECT_TRUE(model.steps().empty());
  EXPECT_TRUE(model.tasks().empty());
  EXPECT_EQ(model.currentStep(), -1);
  EXPECT_EQ(model.layer(), QString::fromStdString(kLayer));
  EXPECT_EQ(model.block(), -1);
  EXPECT_EQ(model.rowOrder(), RoutingHeatmapModel::RowOrder::kName);
}

TEST_F(RoutingHeatmapModelTest, MalformedRoutingIsAProblemNamingTheLayer) {
  auto routing = fourTasks();
  routing[0].values.pop_back();
  model.setLayer(QString::fromStdString(kLayer));
  model.setRouting(100, routing);
  model.update(everyTask);
  EXPECT_FALSE(model.hasShown());
  EXPECT_TRUE(model.problem().contains(QString::fromStdString(kLayer)))
      << model.problem().toStdString();
}

TEST_F(RoutingHeatmapModelTest, TaskNamesFallBackToTheIndex) {
  EXPECT_EQ(model.taskName(1), QStringLiteral("b1"));
  EXPECT_EQ(model.taskFamily(1), QStringLiteral("b"));
  EXPECT_EQ(model.taskName(7), QStringLiteral("7"));
  EXPECT_TRUE(model.taskFamily(7).isEmpty());
}

TEST(RoutingHeatmapModelLayers, GroupsLayersByStackAndBlock) {
  EXPECT_EQ(
      RoutingHeatmapModel::layerGroup(QStringLiteral("encoder.block.3.layer.0.SelfAttention.q")),
      std::make_pair(QStringLiteral("encoder · block 3"), QStringLiteral("SelfAttention.q")));
  EXPECT_EQ(
      RoutingHeatmapModel::layerGroup(QStringLiteral("decoder.block.11.EncDecAttention.k")),
      std::make_pair(QStringLiteral("decoder · block 11"), QStringLiteral("EncDecAttention.k")));
  EXPECT_EQ(RoutingHeatmapModel::layerGroup(QStringLiteral("lm_head")),
            std::make_pair(QStringLiteral("other"), QStringLiteral("lm_head")));
}

}  // namespace
}  // namespace tensorpoly::ui
