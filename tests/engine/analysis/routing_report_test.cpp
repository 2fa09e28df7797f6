// A routing snapshot analysed end to end, as tensorpoly-run analyze prints it.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <algorithm>
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
  EXPECT_EQ(report.agreement.ari_vs_families, 1.0);
  EXPECT_EQ(report.agreement.nmi_vs_families, 1.0);
  EXPECT_GT(report.agreement.spearman_similarity_vs_skill_overlap, 0.5);
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
  EXPECT_EQ(json["clustered_tasks"][1]["name"], "task_1");
  EXPECT_EQ(json["clustered_tasks"][1]["index"], 1);
  EXPECT_TRUE(json["heldout_tasks"].empty());
  EXPECT_EQ(json["computed_on"], "6 tasks");
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
  EXPECT_TRUE(std::isnan(report.agreement.ari_vs_families));
  const auto json = nlohmann::json::parse(ta::report_json(report, {}));
  EXPECT_EQ(json["clustered_tasks"][0]["name"], "task 0");
}

// Families layout in miniature: 16 training tasks, four families (4 tasks each), each
// family routed to two skills of its own; within a family the tasks differ by modifier
// ("(none)", reverse, sort, swap_ends), which routes a little weight to one more skill.
// Then 3 held-out tasks whose router rows never trained: near-uniform.
struct Planted {
  std::vector<RoutingMatrix> routing;
  std::vector<TaskInfo> tasks;
};

Planted planted_families(bool by_modifier = false) {
  const char* const families[] = {"shift", "upper", "duplicate", "drop_vowels"};
  const char* const modifiers[] = {"", "reverse", "sort", "swap_ends"};
  constexpr int kSkills = 12;
  Planted planted;
  RoutingMatrix layer;
  layer.layer = "encoder.block.0.layer.0.SelfAttention.q";
  layer.shape = {19, kSkills};
  for (int task = 0; task < 19; ++task) {
    TaskInfo info;
    info.index = task;
    std::vector<float> row(kSkills, 0.02f);
    if (task < 16) {
      const int family = task / 4, modifier = task % 4;
      info.family = families[family];
      info.skills = {families[family]};
      if (modifier > 0) info.skills.push_back(modifiers[modifier]);
      info.name = info.family + (modifier > 0 ? std::string("+") + modifiers[modifier] : "");
      info.split = "train";
      // The planted factor gets the big weights; the other a small one.
      const int major = by_modifier ? modifier : family, minor = by_modifier ? family : modifier;
      row[static_cast<size_t>(2 * major)] = row[static_cast<size_t>(2 * major + 1)] = 0.9f;
      row[static_cast<size_t>(8 + minor)] += 0.15f + 0.01f * static_cast<float>(task % 3);
    } else {
      info.name = "heldout_" + std::to_string(task);
      info.family = families[task - 16];
      info.skills = {info.family, "rotate_left"};
      info.split = "heldout";
      for (int skill = 0; skill < kSkills; ++skill) {
        row[static_cast<size_t>(skill)] = 0.5f + 0.001f * static_cast<float>(skill * (task - 15));
      }
    }
    layer.values.insert(layer.values.end(), row.begin(), row.end());
    planted.tasks.push_back(info);
  }
  planted.routing = {layer};
  return planted;
}

// Held-out rows are left out by default: they never trained, and with them in, the
// near-uniform rows take a cluster of their own and the agreement drops.
TEST(RoutingReport, ClustersOnlyTheTrainingTasksUnlessAskedAndListsBothApart) {
  const Planted planted = planted_families();
  const ta::RoutingReport report = ta::analyze_routing(planted.routing, planted.tasks);
  ASSERT_EQ(report.tasks.size(), 16u);
  EXPECT_EQ(report.tasks.front(), 0);
  EXPECT_EQ(report.heldout_tasks, (std::vector<int>{16, 17, 18}));
  EXPECT_EQ(report.clusters, 4);
  EXPECT_EQ(report.cluster_labels.size(), 16u);
  EXPECT_EQ(report.entropy.per_task.size(), 16u);
  EXPECT_EQ(report.agreement.ari_vs_families, 1.0);
  EXPECT_EQ(ta::analysed_tasks_text(report.tasks.size(), report.heldout_tasks.size()),
            "16 training tasks (3 held-out tasks left out)");

  ta::ReportOptions with_heldout;
  with_heldout.include_heldout = true;
  const ta::RoutingReport all = ta::analyze_routing(planted.routing, planted.tasks, with_heldout);
  EXPECT_EQ(all.tasks.size(), 19u);
  EXPECT_TRUE(all.heldout_tasks.empty());
  EXPECT_LT(all.agreement.ari_vs_families, 0.9);
  EXPECT_EQ(ta::analysed_tasks_text(all.tasks.size(), all.heldout_tasks.size()), "19 tasks");

  const auto json = nlohmann::json::parse(ta::report_json(report, planted.tasks));
  ASSERT_EQ(json["clustered_tasks"].size(), 16u);
  ASSERT_EQ(json["heldout_tasks"].size(), 3u);
  EXPECT_EQ(json["heldout_tasks"][0]["index"], 16);
  EXPECT_EQ(json["heldout_tasks"][0]["split"], "heldout");
  EXPECT_EQ(json["computed_on"], "16 training tasks (3 held-out tasks left out)");
  std::vector<int> leaves = json["leaf_order"].get<std::vector<int>>();
  std::sort(leaves.begin(), leaves.end());
  for (int i = 0; i < 16; ++i) EXPECT_EQ(leaves[static_cast<size_t>(i)], i);
  size_t listed = 0;
  for (const auto& cluster : json["clusters"]["members"]) {
    for (const auto& name : cluster["tasks"]) {
      EXPECT_EQ(name.get<std::string>().rfind("heldout_", 0), std::string::npos) << name;
      ++listed;
    }
  }
  EXPECT_EQ(listed, 16u);
}

// Agreement is reported against each planted factor: routing that follows the families
// agrees with the families, routing that follows the modifiers with the modifiers.
TEST(RoutingReport, AgreementWithEachPlantedFactor) {
  const Planted by_family = planted_families(false);
  const ta::RoutingReport family_report = ta::analyze_routing(by_family.routing, by_family.tasks);
  EXPECT_EQ(family_report.agreement.ari_vs_families, 1.0);
  EXPECT_NEAR(family_report.agreement.nmi_vs_families, 1.0, 1e-12);
  EXPECT_LT(family_report.agreement.ari_vs_modifiers, 0.1);
  EXPECT_LT(family_report.agreement.nmi_vs_modifiers, 0.2);

  const Planted by_modifier = planted_families(true);
  const ta::RoutingReport modifier_report =
      ta::analyze_routing(by_modifier.routing, by_modifier.tasks);
  EXPECT_EQ(modifier_report.agreement.ari_vs_modifiers, 1.0);
  EXPECT_NEAR(modifier_report.agreement.nmi_vs_modifiers, 1.0, 1e-12);
  EXPECT_LT(modifier_report.agreement.ari_vs_families, 0.1);

  // Spearman with its permutation p-value, and the settings that produced it.
  EXPECT_GT(family_report.agreement.spearman_similarity_vs_skill_overlap, 0.3);
  EXPECT_LT(family_report.agreement.spearman_p_value, 0.01);
  EXPECT_EQ(family_report.agreement.permutations, 1000);
  ta::ReportOptions reseeded;
  reseeded.permutations = 2000;
  reseeded.permutation_seed = 5;
  const ta::RoutingReport again = ta::analyze_routing(by_family.routing, by_family.tasks, reseeded);
  EXPECT_EQ(again.agreement.permutations, 2000);
  EXPECT_EQ(again.agreement.permutation_seed, 5u);
  const auto json = nlohmann::json::parse(ta::report_json(again, by_family.tasks));
  EXPECT_EQ(json["agreement"]["permutations"], 2000);
  EXPECT_EQ(json["agreement"]["permutation_seed"], 5);
  EXPECT_TRUE(json["agreement"]["spearman_p_value"].is_number());
  EXPECT_TRUE(json["agreement"]["ari_vs_modifiers"].is_number());
  EXPECT_EQ(ta::modifier_label(by_family.tasks[0]), "(none)");
  EXPECT_EQ(ta::modifier_label(by_family.tasks[1]), "reverse");
}

}  // namespace
