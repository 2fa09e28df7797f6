// tensorpoly-run study and study-report: methods x seeds recorded as one study, resumed
// after an interrupted combination (finished ones skipped, the interrupted one run again),
// refused when the configuration changed, and reported as means with Student-t intervals.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "app/cli_test_util.h"
#include "tensorpoly/sessions/recorder.h"
#include "tensorpoly/sessions/store.h"

namespace {

using namespace tensorpoly;
using app::testing::CliResult;
using app::testing::quote;
using app::testing::run_cli;
using app::testing::temp_store;
using nlohmann::json;

// The tiny preset with a short few-shot adaptation, so that held-out figures exist.
std::string tiny_study(const std::filesystem::path& db, const std::string& name,
                       const std::string& methods, int seeds, const std::string& extra = {}) {
  return "study --name " + name + " --methods " + methods + " --seeds " + std::to_string(seeds) +
         " --preset tiny --db " + quote(db) + " --threads 1 few_shot.steps=2 few_shot.k=4" +
         " few_shot.eval_every=1 few_shot.batch_size=2 train.checkpoint_dir=" +
         quote(db.parent_path() / (name + "-checkpoints")) + " " + extra;
}

std::vector<sessions::StudyRun> study_runs(const std::filesystem::path& db,
                                           const std::string& study) {
  return sessions::Store::open(db.string(), sessions::OpenMode::kReadOnly).study_runs(study);
}

// Mean exact match over the training tasks at the run's last evaluation, read directly.
double final_exact_match(const std::filesystem::path& db, int64_t run) {
  const auto store = sessions::Store::open(db.string(), sessions::OpenMode::kReadOnly);
  const auto steps = store.evaluation_steps(run, "eval");
  double sum = 0.0;
  int count = 0;
  for (const auto& row : store.evaluations(run, "eval", steps.back())) {
    sum += row.exact_match;
    ++count;
  }
  return sum / count;
}

json report(const std::filesystem::path& db, const std::string& name) {
  const CliResult result = run_cli("study-report --json --name " + name + " --db " + quote(db));
  EXPECT_EQ(result.exit_code, 0) << result.all;
  return result.exit_code == 0 ? json::parse(result.out) : json::array();
}

TEST(StudyCommand, RunsEveryCombinationAndReportsMeansWithIntervals) {
  const auto db = temp_store("study");
  const CliResult result = run_cli(tiny_study(db, "S", "poly,lora", 2));
  ASSERT_EQ(result.exit_code, 0) << result.all;
  const auto runs = study_runs(db, "S");
  ASSERT_EQ(runs.size(), 4u);
  std::set<std::pair<std::string, uint64_t>> combinations;
  for (const auto& run : runs) {
    EXPECT_EQ(run.run.status, "finished");
    EXPECT_EQ(run.run.study, "S");
    combinations.insert({run.method, run.seed});
    // The run is the method's configuration with the study's seed.
    const auto store = sessions::Store::open(db.string(), sessions::OpenMode::kReadOnly);
    const auto config = json::parse(store.run_details(run.run.id).config_json);
    EXPECT_EQ(config["seed"], run.seed);
    EXPECT_EQ(config["adapter"]["method"], run.method);
    EXPECT_EQ(config["few_shot"]["steps"], 2);
  }
  EXPECT_EQ(combinations, (std::set<std::pair<std::string, uint64_t>>{
                              {"lora", 0}, {"lora", 1}, {"poly", 0}, {"poly", 1}}));

  const json methods = report(db, "S");
  ASSERT_EQ(methods.size(), 2u);
  EXPECT_EQ(methods[0]["method"], "poly");  // the order of --methods
  EXPECT_EQ(methods[1]["method"], "lora");
  for (const json& method : methods) {
    EXPECT_EQ(method["n"], 2);
    EXPECT_GT(method["trainable_params"].get<int64_t>(), 0);
    for (const char* key : {"final_validation_exact_match", "final_validation_loss",
                            "heldout_exact_match_before", "heldout_exact_match_after"}) {
      ASSERT_TRUE(method[key]["mean"].is_number()) << key << " " << method.dump();
      ASSERT_EQ(method[key]["ci95"].size(), 2u) << key;
    }
    // By hand from the two runs: mean, and t(0.975, 1) * |a - b| / 2 either side.
    const auto ids = method["runs"].get<std::vector<int64_t>>();
    ASSERT_EQ(ids.size(), 2u);
    const double a = final_exact_match(db, ids[0]), b = final_exact_match(db, ids[1]);
    const json& em = method["final_validation_exact_match"];
    EXPECT_NEAR(em["mean"].get<double>(), (a + b) / 2, 1e-9);
    EXPECT_NEAR(em["ci95"][1].get<double>() - em["mean"].get<double>(),
                12.7062047 * std::fabs(a - b) / 2, 1e-6);
  }
  EXPECT_LT(methods[1]["trainable_params"].get<int64_t>(),
            methods[0]["trainable_params"].get<int64_t>());  // lora r 1 < poly 8 x r 1

  const CliResult table = run_cli("study-report --name S --db " + quote(db));
  ASSERT_EQ(table.exit_code, 0) << table.all;
  EXPECT_NE(table.out.find("| poly"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("held-out EM after (95% CI)"), std::string::npos) << table.out;
}

// What a study killed during a combination leaves (the run "running" without a writer,
// "interrupted" once the store is opened again), made with the real recorder; then the
// same study with one more seed runs only what is missing.
TEST(StudyCommand, ResumesAfterAnInterruptedCombination) {
  const auto db = temp_store("study-resume");
  ASSERT_EQ(run_cli(tiny_study(db, "R", "poly,lora", 1)).exit_code, 0);
  int64_t interrupted = 0;
  {
    sessions::Recorder recorder(db.string());
    RunStarted started;
    started.name = "R: poly seed 1";
    started.method = "poly";
    started.config_json = "{}";
    recorder.on_run_started(started);
    interrupted = recorder.run_id();
    sessions::Store::open(db.string()).add_study_run(interrupted, "R", "poly", 1);
    recorder.close();  // no RunEnded: as a killed process leaves it
  }
  const CliResult resumed = run_cli(tiny_study(db, "R", "poly,lora", 2));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.all;
  EXPECT_NE(resumed.out.find("poly seed 0 already finished as run"), std::string::npos)
      << resumed.out;
  EXPECT_NE(resumed.out.find("lora seed 0 already finished as run"), std::string::npos);
  EXPECT_NE(resumed.out.find("2 of 4 combinations to run"), std::string::npos) << resumed.out;
  std::map<std::pair<std::string, uint64_t>, std::vector<std::string>> statuses;
  for (const auto& run : study_runs(db, "R")) {
    statuses[{run.method, run.seed}].push_back(run.run.status);
  }
  EXPECT_EQ(statuses[std::make_pair(std::string("poly"), uint64_t{1})],
            (std::vector<std::string>{"interrupted", "finished"}));
  EXPECT_EQ(statuses[std::make_pair(std::string("lora"), uint64_t{1})],
            std::vector<std::string>{"finished"});
  EXPECT_EQ(statuses[std::make_pair(std::string("poly"), uint64_t{0})].size(), 1u);
  for (const json& method : report(db, "R")) EXPECT_EQ(method["n"], 2) << method.dump();

  // Nothing left: a third call runs nothing.
  const CliResult again = run_cli(tiny_study(db, "R", "poly,lora", 2));
  ASSERT_EQ(again.exit_code, 0) << again.all;
  EXPECT_NE(again.out.find("0 of 4 combinations to run"), std::string::npos) << again.out;
}

TEST(StudyCommand, RefusesAnotherConfigurationUnderTheSameName) {
  const auto db = temp_store("study-refused");
  ASSERT_EQ(run_cli(tiny_study(db, "C", "poly", 1)).exit_code, 0);
  const CliResult changed = run_cli(tiny_study(db, "C", "poly", 1, "train.steps=7"));
  EXPECT_EQ(changed.exit_code, 2) << changed.all;
  EXPECT_NE(changed.all.find("of another configuration: train.steps = 6 there, 7 here"),
            std::string::npos)
      << changed.all;
  // One seed: the mean exists, its interval does not (null, not a zero-width one).
  const json methods = report(db, "C");
  ASSERT_EQ(methods.size(), 1u);
  EXPECT_EQ(methods[0]["n"], 1);
  EXPECT_TRUE(methods[0]["final_validation_exact_match"]["mean"].is_number());
  EXPECT_TRUE(methods[0]["final_validation_exact_match"]["ci95"].is_null());
}

TEST(StudyCommand, UsageAndStoreErrors) {
  const auto db = temp_store("study-errors");
  const std::map<std::string, std::string> usage = {
      {"--methods poly --seeds 1", "--name NAME is required"},
      {"--name X --seeds 1", "--methods M1,M2,... is required"},
      {"--name X --methods poly", "--seeds N is required"},
      {"--name X --methods poly,poly --seeds 1", "'poly' listed twice"},
      {"--name X --methods nope --seeds 1", "no preset 'nope'"},
      {"--name X --methods poly --seeds 0", "--seeds expects a seed count"},
  };
  for (const auto& [arguments, message] : usage) {
    SCOPED_TRACE(arguments);
    const CliResult result = run_cli("study " + arguments + " --db " + quote(db));
    EXPECT_EQ(result.exit_code, 2) << result.all;
    EXPECT_NE(result.all.find(message), std::string::npos) << result.all;
  }
  sessions::Store::open(db.string());  // the usage errors above created no store
  const CliResult missing = run_cli("study-report --name nope --db " + quote(db));
  EXPECT_EQ(missing.exit_code, 5) << missing.all;
  EXPECT_NE(missing.all.find("no study 'nope'"), std::string::npos) << missing.all;
}

}  // namespace
