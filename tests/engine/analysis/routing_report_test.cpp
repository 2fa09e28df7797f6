// A routing snapshot analysed end to end, as tensorpoly-run analyze prints it.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tensorpoly/analysis.h"

namespace ta = tensorpoly::analysis;
using tensorpoly::RoutingKind;
using tensorpoly::RoutingMatrix;
using tensorpoly::TaskInfo;

namespace {

// Six tasks in two families: tasks 0, 2, 4 route to skills 0-1, tasks 1, 3, 5 to 2-3.
std::vector<RoutingMatrix> two_family_routing() {
  RoutingMatrix encoder;
  encoder.layer = "encoder.block.0.layer.0.SelfAttention.q";
  encoder.shape = {6, 4};
  RoutingMatrix decoder = encoder;
  decoder.layer = "decoder.block.0.layer.0.SelfAttention.q";
  decoder.kind = RoutingKind::kOrders;
  decoder.shape = {2, 6, 4};
  for (int task = 0; task < 6; ++task) {
    const float wobble = 0.01f * static_cast<float>(task);
    const bool first = task % 2 == 0;
    const std::vector<float> weights =
        first ? std::vector<float>{0.45f + wobble, 0.45f - wobble, 0.05f, 0.05f}
              : std::vector<float>{0.05f, 0.05f, 0.4f + wobble, 0.5f - wobble};
    encoder.values.insert(encoder.values.end(), weights.begin(), weights.end());
  }
  decoder.values = encoder.values;
  decoder.values.insert(decoder.values.end(), encoder.values.begin(), encoder.values.end());
  return {encoder, decoder};
}

std::vector<TaskInfo> two_family_tasks() {
  std::vector<TaskInfo> tasks;
  for (int task = 0; task < 6; ++task) {
    TaskInfo info;
    info.index = task;
    info.name = "task_" + std::to_string(task);
    info.family = task % 2 == 0 ? "reverse" : "upper";
    info.skills = task % 2 == 0 ? std::vector<std::string>{"reverse"}
                                : std::vector<std::string>{"upper", task == 1 ? "copy" : "upper"};
    tasks.push_back(info);
  }
  return tasks;
}

TEST(RoutingReport, FindsPlantedFamilies) {
  const ta::RoutingReport report = ta::analyze_routing(two_family_routing(), two_family_tasks());
  EXPECT_EQ(report.layers.size(), 2u);
  EXPECT_EQ(report.dims, 4 + 8);
  EXPECT_EQ(report.clusters, 2);  // the number of families
  EXPECT_EQ(report.cluster_labels[0], report.cluster_labels[2]);
  EXPECT_NE(report.cluster_labels[0], report.cluster_labels[1]);
  EXPECT_EQ(report.ari_vs_families, 1.0);
  EXPECT_EQ(report.nmi_vs_families, 1.0);
  EXPECT_GT(report.spearman_similarity_vs_skill_overlap, 0.5);
  EXPECT_EQ(report.merges.size(), 5u);
  EXPECT_EQ(report.entropy.per_task.size(), 6u);
}

TEST(RoutingReport, UnknownGroundTruthIsNullInJson) {
  std::vector<TaskInfo> tasks = two_family_tasks();
  tasks[3].family.clear();
  tasks[4].skills.clear();
  ta::ReportOptions options;
  options.clusters = 3;
  options.threshold = 0.5;
  options.linkage = ta::Linkage::kWard;
  const ta::RoutingReport report = ta::analyze_routing(two_family_routing(), tasks, options);
  EXPECT_EQ(report.distance, ta::Distance::kEuclidean);  // ward
  const auto json = nlohmann::json::parse(ta::report_json(report, tasks));
  EXPECT_TRUE(json["agreement"]["ari_vs_families"].is_null());
  EXPECT_TRUE(json["agreement"]["spearman_cosine_vs_jaccard"].is_null());
  EXPECT_EQ(json["clusters"]["k"], 3);
  EXPECT_EQ(json["linkage"], "ward");
  EXPECT_EQ(json["distance"], "euclidean");
  EXPECT_EQ(json["tasks"][1]["name"], "task_1");
  EXPECT_EQ(json["merges"].size(), 5u);
  EXPECT_EQ(json["leaf_order"].size(), 6u);
  EXPECT_TRUE(json.contains("clusters_at_distance"));
  size_t listed = 0;
  for (const auto& cluster : json["clusters"]["members"]) listed += cluster["tasks"].size();
  EXPECT_EQ(listed, 6u);
  EXPECT_EQ(json["entropy"]["per_task"].size(), 6u);
  EXPECT_EQ(json["skill_usage"]["encoder.block.0.layer.0.SelfAttention.q"].size(), 4u);
}

TEST(RoutingReport, WithoutTaskInfoUsesIndicesAndARuleOfThumbK) {
  const ta::RoutingReport report = ta::analyze_routing(two_family_routing(), {});
  EXPECT_EQ(report.clusters, 2);  // round(sqrt(6 / 2))
  EXPECT_TRUE(std::isnan(report.ari_vs_families));
  const auto json = nlohmann::json::parse(ta::report_json(report, {}));
  EXPECT_EQ(json["tasks"][0]["name"], "task 0");
}

}  // namespace
