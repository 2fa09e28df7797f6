// tensorpoly-run analyze against a run written by the Recorder: which snapshot it reads,
// clusters against planted families, the sizes of the entropy and skill-usage arrays,
// and its exit codes.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "app/cli_test_util.h"
#include "tensorpoly/sessions/recorder.h"

namespace {

using namespace tensorpoly;
using app::testing::quote;
using app::testing::run_cli;
using app::testing::temp_store;
using nlohmann::json;

constexpr int kTasks = 6;
constexpr int kSkills = 4;
const char* const kEncoderLayer = "encoder.block.0.layer.0.SelfAttention.q";
const char* const kDecoderLayer = "decoder.block.0.layer.1.EncDecAttention.v";

// Tasks 2f and 2f+1 form family f; each family has one skill of its own.
TaskInfo planted_task(int index) {
  static const char* const families[] = {"copy", "reverse", "upper"};
  const std::string family = families[index / 2];
  return {index, family + "_" + std::to_string(index % 2), family, {family}, "train"};
}

// A routing block [tasks, skills] in which family f sends 0.85 of each task's weight to
// skill dominant[f]; the small per-task offset keeps distances free of ties.
std::vector<float> planted_block(const int (&dominant)[3]) {
  std::vector<float> values;
  for (int task = 0; task < kTasks; ++task) {
    const float offset = 0.01f * static_cast<float>(task % 2);
    for (int skill = 0; skill < kSkills; ++skill) {
      float weight = skill == dominant[task / 2] ? 0.85f - offset : 0.05f;
      if (skill != dominant[task / 2] && skill == (dominant[task / 2] + 1) % kSkills) {
        weight += offset;
      }
      values.push_back(weight);
    }
  }
  return values;
}

// An encoder layer [tasks, skills] and a TensorPoly-II decoder layer [2 orders, tasks,
// skills], both routing the families to the dominant skills given.
RoutingSnapshot planted_routing(int64_t step, const int (&dominant)[3]) {
  RoutingSnapshot snapshot;
  snapshot.step = step;
  const std::vector<float> block = planted_block(dominant);
  snapshot.layers.push_back({kEncoderLayer, RoutingKind::kSkills, {kTasks, kSkills}, block});
  std::vector<float> orders = block;
  orders.insert(orders.end(), block.begin(), block.end());
  snapshot.layers.push_back({kDecoderLayer, RoutingKind::kOrders, {2, kTasks, kSkills}, orders});
  return snapshot;
}

// Total weight of each skill in a layer: summed over tasks and blocks.
std::vector<double> usage_of(const RoutingMatrix& layer) {
  std::vector<double> usage(kSkills, 0.0);
  for (size_t i = 0; i < layer.values.size(); ++i) usage[i % kSkills] += layer.values[i];
  return usage;
}

const int kDominantAt50[3] = {0, 1, 2};
const int kDominantAt100[3] = {3, 0, 1};

struct RecordedRuns {
  std::filesystem::path db;
  int64_t routed = 0;    // snapshots at steps 50 and 100
  int64_t unrouted = 0;  // a LoRA run: metrics, no routing
};

RecordedRuns record_runs() {
  RecordedRuns runs;
  runs.db = temp_store("analyze");
  sessions::Recorder recorder(runs.db.string());
  RunStarted run;
  run.name = "planted families";
  run.method = "tensorpoly2";
  run.config_json = R"({"method":"tensorpoly2"})";
  run.total_steps = 100;
  for (int task = 0; task < kTasks; ++task) run.tasks.push_back(planted_task(task));
  recorder.on_run_started(run);
  for (int64_t step : {50, 100}) {
    StepMetrics metrics;
    metrics.step = step;
    metrics.metrics.push_back({-1, "train", "loss", 1.0 / static_cast<double>(step)});
    recorder.on_step(metrics);
    recorder.on_routing(planted_routing(step, step == 50 ? kDominantAt50 : kDominantAt100));
  }
  recorder.on_run_ended({RunStatus::kFinished, 100, ""});
  runs.routed = recorder.run_id();

  run.name = "no router";
  run.method = "lora";
  recorder.on_run_started(run);
  StepMetrics metrics;
  metrics.step = 10;
  metrics.metrics.push_back({-1, "train", "loss", 0.5});
  recorder.on_step(metrics);
  recorder.on_run_ended({RunStatus::kFinished, 10, ""});
  runs.unrouted = recorder.run_id();
  return runs;
}

const RecordedRuns& recorded() {
  static const RecordedRuns runs = record_runs();
  return runs;
}

json analyze(const std::string& options) {
  const auto result = run_cli("analyze --run " + std::to_string(recorded().routed) + " --db " +
                              quote(recorded().db) + " " + options);
  EXPECT_EQ(result.exit_code, 0) << result.all;
  if (result.exit_code != 0) return json::object();
  return json::parse(result.out);
}

// The report's skill usage matches the snapshot recorded at `step`, layer by layer.
void expect_usage_of_step(const json& report, int64_t step) {
  const RoutingSnapshot expected =
      planted_routing(step, step == 50 ? kDominantAt50 : kDominantAt100);
  ASSERT_TRUE(report.contains("skill_usage")) << report.dump();
  ASSERT_EQ(report["skill_usage"].size(), expected.layers.size());
  for (const RoutingMatrix& layer : expected.layers) {
    SCOPED_TRACE(layer.layer);
    const auto usage = report["skill_usage"].at(layer.layer).get<std::vector<double>>();
    const std::vector<double> sums = usage_of(layer);
    ASSERT_EQ(usage.size(), sums.size());
    for (size_t skill = 0; skill < sums.size(); ++skill) {
      EXPECT_NEAR(usage[skill], sums[skill], 1e-5) << "skill " << skill;
    }
  }
}

TEST(AnalyzeCli, StepPicksTheNearestSnapshotTheEarlierOnATie) {
  // Snapshots at 50 and 100: the store's routing_nearest rule, |S - step| smallest and
  // the earlier step on a tie (75).
  const std::map<int64_t, int64_t> expected = {{60, 50}, {75, 50}, {76, 100}};
  for (const auto& [asked, used] : expected) {
    SCOPED_TRACE("--step " + std::to_string(asked));
    const json report = analyze("--step " + std::to_string(asked));
    EXPECT_EQ(report.value("step", int64_t{-1}), used);
    EXPECT_EQ(report.value("requested_step", int64_t{-1}), asked);
    expect_usage_of_step(report, used);
  }
}

TEST(AnalyzeCli, DefaultIsTheLastSnapshot) {
  const json report = analyze("");
  EXPECT_EQ(report.value("step", int64_t{-1}), 100);
  EXPECT_TRUE(report.at("requested_step").is_null());
  EXPECT_EQ(report.value("run", int64_t{-1}), recorded().routed);
  expect_usage_of_step(report, 100);
}

TEST(AnalyzeCli, ClustersMatchThePlantedFamilies) {
  for (const char* step : {"50", "100"}) {
    SCOPED_TRACE(std::string("--step ") + step);
    const json report = analyze(std::string("--step ") + step);
    ASSERT_TRUE(report.contains("clusters")) << report.dump();
    EXPECT_EQ(report["clusters"]["k"], 3);  // the number of known families
    EXPECT_DOUBLE_EQ(report["agreement"]["ari_vs_families"].get<double>(), 1.0);
    EXPECT_NEAR(report["agreement"]["nmi_vs_families"].get<double>(), 1.0, 1e-12);
    EXPECT_TRUE(report["agreement"]["spearman_cosine_vs_jaccard"].is_number());
    // Every cluster holds exactly one family's two tasks.
    std::set<std::set<std::string>> clusters;
    for (const auto& cluster : report["clusters"]["members"]) {
      const auto names = cluster["tasks"].get<std::vector<std::string>>();
      clusters.insert(std::set<std::string>(names.begin(), names.end()));
    }
    const std::set<std::set<std::string>> families = {
        {"copy_0", "copy_1"}, {"reverse_0", "reverse_1"}, {"upper_0", "upper_1"}};
    EXPECT_EQ(clusters, families);
    const auto labels = report["clusters"]["labels"].get<std::vector<int>>();
    ASSERT_EQ(labels.size(), static_cast<size_t>(kTasks));
    for (int family = 0; family < 3; ++family) {
      EXPECT_EQ(labels[2 * family], labels[2 * family + 1]) << "family " << family;
    }
    EXPECT_EQ(report["merges"].size(), static_cast<size_t>(kTasks - 1));
    EXPECT_EQ(report["leaf_order"].size(), static_cast<size_t>(kTasks));
  }
}

TEST(AnalyzeCli, EntropyAndSkillUsageHaveOneEntryPerTaskLayerAndSkill) {
  const json report = analyze("--step 50");
  ASSERT_TRUE(report.contains("entropy")) << report.dump();
  EXPECT_EQ(report["layers"], (json{kEncoderLayer, kDecoderLayer}));
  EXPECT_EQ(report["dims"], kSkills + 2 * kSkills);  // encoder [T,S] + decoder [2,T,S]
  const auto per_task = report["entropy"]["per_task"].get<std::vector<double>>();
  ASSERT_EQ(per_task.size(), static_cast<size_t>(kTasks));
  for (double entropy : per_task) {
    EXPECT_GT(entropy, 0.0);
    EXPECT_LT(entropy, std::log(static_cast<double>(kSkills)));  // peaked, not uniform
  }
  ASSERT_EQ(report["entropy"]["per_layer"].size(), 2u);
  EXPECT_TRUE(report["entropy"]["per_layer"].contains(kEncoderLayer));
  EXPECT_TRUE(report["entropy"]["per_layer"].contains(kDecoderLayer));
  ASSERT_EQ(report["skill_usage"].size(), 2u);
  for (const auto& [layer, usage] : report["skill_usage"].items()) {
    EXPECT_EQ(usage.size(), static_cast<size_t>(kSkills)) << layer;
  }
  // Restricted to the encoder: one layer in every per-layer field.
  const json encoder = analyze("--step 50 --scope encoder");
  EXPECT_EQ(encoder["layers"], (json{kEncoderLayer}));
  EXPECT_EQ(encoder["entropy"]["per_layer"].size(), 1u);
  EXPECT_EQ(encoder["skill_usage"].size(), 1u);
  EXPECT_EQ(encoder["entropy"]["per_task"].size(), static_cast<size_t>(kTasks));
}

// A run with two held-out tasks (rows 6 and 7, uniform: they never trained): left out
// of the clustering by default, listed apart; --include-heldout clusters them too. The
// agreement carries the p-value's settings.
TEST(AnalyzeCli, HeldOutTasksAreLeftOutUnlessIncluded) {
  const auto db = temp_store("analyze-heldout");
  int64_t run_id = 0;
  {
    sessions::Recorder recorder(db.string());
    RunStarted run;
    run.name = "with held-out tasks";
    run.method = "tensorpoly-1";
    for (int task = 0; task < kTasks; ++task) run.tasks.push_back(planted_task(task));
    for (int task = kTasks; task < kTasks + 2; ++task) {
      // Two families for two rows that route alike: clustered, they cannot both agree.
      const std::string family = task == kTasks ? "copy" : "reverse";
      run.tasks.push_back(
          {task, "new_" + std::to_string(task), family, {family, "sort"}, "heldout"});
    }
    recorder.on_run_started(run);
    RoutingSnapshot snapshot;
    snapshot.step = 10;
    std::vector<float> values = planted_block(kDominantAt50);
    values.insert(values.end(), 2 * kSkills, 1.0f / kSkills);
    snapshot.layers.push_back({kEncoderLayer, RoutingKind::kSkills, {kTasks + 2, kSkills}, values});
    recorder.on_routing(snapshot);
    recorder.on_run_ended({RunStatus::kFinished, 10, ""});
    run_id = recorder.run_id();
  }
  auto report = [&](const std::string& options) {
    const auto result = run_cli("analyze --json --run " + std::to_string(run_id) + " --db " +
                                quote(db) + " " + options);
    EXPECT_EQ(result.exit_code, 0) << result.all;
    return result.exit_code == 0 ? json::parse(result.out) : json::object();
  };
  const json trained = report("--permutations 1500 --permutation-seed 3");
  ASSERT_EQ(trained["clustered_tasks"].size(), static_cast<size_t>(kTasks));
  ASSERT_EQ(trained["heldout_tasks"].size(), 2u);
  EXPECT_EQ(trained["heldout_tasks"][0]["name"], "new_6");
  EXPECT_EQ(trained["computed_on"], "6 training tasks (2 held-out tasks left out)");
  EXPECT_EQ(trained["clusters"]["labels"].size(), static_cast<size_t>(kTasks));
  EXPECT_DOUBLE_EQ(trained["agreement"]["ari_vs_families"].get<double>(), 1.0);
  EXPECT_EQ(trained["agreement"]["permutations"], 1500);
  EXPECT_EQ(trained["agreement"]["permutation_seed"], 3);
  EXPECT_EQ(trained["entropy"]["per_task"].size(), static_cast<size_t>(kTasks));

  const json all = report("--include-heldout");
  EXPECT_EQ(all["clustered_tasks"].size(), static_cast<size_t>(kTasks + 2));
  EXPECT_TRUE(all["heldout_tasks"].empty());
  EXPECT_EQ(all["agreement"]["permutations"], 1000);  // the default
  EXPECT_LT(all["agreement"]["ari_vs_families"].get<double>(), 1.0);

  const auto too_few = run_cli("analyze --run " + std::to_string(run_id) + " --db " + quote(db) +
                               " --permutations 999");
  EXPECT_EQ(too_few.exit_code, 2) << too_few.all;
  EXPECT_NE(too_few.all.find("--permutations expects a permutation count"), std::string::npos)
      << too_few.all;
}

TEST(AnalyzeCli, UnknownRunOrStoreExitsFiveARunWithoutRoutingExitsOne) {
  auto result = run_cli("analyze --run 999 --db " + quote(recorded().db));
  EXPECT_EQ(result.exit_code, 5) << result.all;  // no such run: a store error
  EXPECT_NE(result.all.find("no run 999"), std::string::npos) << result.all;

  result = run_cli("analyze --run 1 --db " + quote(temp_store("analyze-missing")));
  EXPECT_EQ(result.exit_code, 5) << result.all;
  EXPECT_NE(result.all.find("no such file"), std::string::npos) << result.all;

  result = run_cli("analyze --run " + std::to_string(recorded().unrouted) + " --db " +
                   quote(recorded().db));
  EXPECT_EQ(result.exit_code, 1) << result.all;
  EXPECT_NE(result.all.find("has no routing snapshot"), std::string::npos) << result.all;
  EXPECT_TRUE(result.out.empty()) << result.out;
}

TEST(AnalyzeCli, ConflictingOrInvalidOptionsExitTwo) {
  const std::map<std::string, std::string> usage_errors = {
      {"--linkage ward --distance cosine", "--linkage ward needs --distance euclidean"},
      {"--scope decoder --layer " + std::string(kEncoderLayer), "no routing layer selected"},
      {"--step -1", "--step expects a step (an integer >= 0), got '-1'"},
      {"--step 5x", "--step expects a step (an integer >= 0), got '5x'"},
      {"--clusters -2",
       "--clusters expects a cluster count (an integer from 0 to 2147483647; 0 = the number of "
       "known families), got '-2'"},
      {"--clusters 99999999999", "--clusters expects a cluster count"},
      {"--clusters 999999", "tasks to cluster"},  // more clusters than tasks
      {"--threshold -0.5", "--threshold expects a distance (a number >= 0), got '-0.5'"},
      {"--threshold nan", "--threshold expects a distance (a number >= 0), got 'nan'"},
      {"--scope sideways", "--scope expects all, encoder or decoder, got 'sideways'"},
      {"--steps 60", "unknown option '--steps' for analyze"},  // a typo is not ignored
  };
  for (const auto& [options, message] : usage_errors) {
    SCOPED_TRACE(options);
    const auto result = run_cli("analyze --run " + std::to_string(recorded().routed) + " --db " +
                                quote(recorded().db) + " " + options);
    EXPECT_EQ(result.exit_code, 2) << result.all;
    EXPECT_NE(result.all.find(message), std::string::npos) << result.all;
    EXPECT_TRUE(result.out.empty()) << result.out;
  }
}

}  // namespace
