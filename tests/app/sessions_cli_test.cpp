// tensorpoly-run runs / show / export / import against stores written by the Recorder.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/cli_test_util.h"
#include "tensorpoly/sessions/recorder.h"
#include "tensorpoly/sessions/store.h"

namespace {

using namespace tensorpoly;

using app::testing::quote;
using app::testing::run_cli;
using app::testing::temp_store;

// Records one run with 3 tasks, `steps` steps, one evaluation at the end.
int64_t record(const std::filesystem::path& path, const std::string& name, int steps,
               RunStatus status = RunStatus::kFinished, const std::string& task_prefix = "copy_") {
  sessions::Recorder recorder(path.string());
  RunStarted run;
  run.name = name;
  run.method = "tensorpoly1";
  run.config_json = R"({"method":"tensorpoly1","n_skills":4})";
  run.device = "cpu";
  run.total_steps = steps;
  run.parameters = {1000, 100, 12, 30};
  for (int task = 0; task < 3; ++task) {
    run.tasks.push_back(
        {task, task_prefix + std::to_string(task), "copy", {"copy", "rev"}, "train"});
  }
  recorder.on_run_started(run);
  for (int step = 1; step <= steps; ++step) {
    StepMetrics metrics;
    metrics.step = step;
    for (int task = 0; task < 3; ++task) {
      metrics.metrics.push_back({task, "train", "loss", 2.0 / step + task});
    }
    recorder.on_step(metrics);
  }
  EvalResult eval;
  eval.step = steps;
  for (int task = 0; task < 3; ++task) eval.tasks.push_back({task, 0.5 + task, 0.25, -1.0, 8});
  recorder.on_eval(eval);
  recorder.on_run_ended({status, steps, status == RunStatus::kFinished ? "" : "ended early"});
  return recorder.run_id();
}

TEST(SessionsCli, RunsListsRunsAsATableAndAsJson) {
  const auto db = temp_store("runs");
  record(db, "first run", 10);
  record(db, "second run", 20, RunStatus::kStopped);
  const auto table = run_cli("runs --db " + quote(db));
  ASSERT_EQ(table.exit_code, 0) << table.all;
  for (const char* expected :
       {"first run", "second run", "finished", "stopped", "tensorpoly1", "20/20", "created"}) {
    EXPECT_NE(table.out.find(expected), std::string::npos) << expected << "\n" << table.out;
  }
  EXPECT_LT(table.out.find("second run"), table.out.find("first run"));  // newest first

  const auto json = run_cli("runs --json --db " + quote(db));
  ASSERT_EQ(json.exit_code, 0) << json.all;
  const auto runs = nlohmann::json::parse(json.out);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1]["name"], "first run");
  EXPECT_EQ(runs[1]["status"], "finished");
  EXPECT_EQ(runs[1]["method"], "tensorpoly1");
  EXPECT_EQ(runs[1]["last_step"], 10);
  EXPECT_EQ(runs[0]["id"], 2);
  EXPECT_FALSE(runs[0]["created_at"].get<std::string>().empty());

  const auto filtered = run_cli("runs --json --filter SECOND --db " + quote(db));
  EXPECT_EQ(nlohmann::json::parse(filtered.out).size(), 1u);

  // The default store comes from $TENSORPOLY_DB.
  const auto from_env = run_cli("runs --json", "TENSORPOLY_DB=" + quote(db));
  ASSERT_EQ(from_env.exit_code, 0) << from_env.all;
  EXPECT_EQ(nlohmann::json::parse(from_env.out).size(), 2u);
}

TEST(SessionsCli, RunsOfAMissingStoreIsEmptyAndCreatesNothing) {
  const auto db = temp_store("missing");
  const auto result = run_cli("runs --db " + quote(db));
  EXPECT_EQ(result.exit_code, 0) << result.all;
  EXPECT_NE(result.out.find("no runs"), std::string::npos) << result.out;
  EXPECT_FALSE(std::filesystem::exists(db));
}

TEST(SessionsCli, RunsAttachesOtherMachinesFiles) {
  const auto local = temp_store("local");
  const auto node = temp_store("node");
  record(local, "local run", 5);
  record(node, "node run", 7);
  const auto result = run_cli("runs --json --db " + quote(local) + " --attach " + quote(node));
  ASSERT_EQ(result.exit_code, 0) << result.all;
  const auto runs = nlohmann::json::parse(result.out);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0]["database"], "main");
  EXPECT_EQ(runs[1]["database"], "db1");
  EXPECT_EQ(runs[1]["name"], "node run");
  EXPECT_EQ(runs[1]["source"], node.string());
  const auto table = run_cli("runs --db " + quote(local) + " --attach " + quote(node));
  EXPECT_NE(table.out.find("db1"), std::string::npos) << table.out;
}

// A long task name ("drop_vowels+rotate_right" ran into its split column) keeps its
// columns apart in both tables of `show`.
TEST(SessionsCli, ShowKeepsLongTaskNamesApartFromTheNextColumn) {
  const auto db = temp_store("show-long-names");
  const std::string prefix = "drop_vowels+rotate_right+swap_pairs_";
  const int64_t id = record(db, "long names", 5, RunStatus::kFinished, prefix);
  const auto text = run_cli("show --run " + std::to_string(id) + " --db " + quote(db));
  ASSERT_EQ(text.exit_code, 0) << text.all;
  EXPECT_NE(text.out.find(prefix + "2  train"), std::string::npos) << text.out;
  const auto evaluation = text.out.find("final evaluation");
  ASSERT_NE(evaluation, std::string::npos) << text.out;
  EXPECT_NE(text.out.find(prefix + "2  2.5", evaluation), std::string::npos) << text.out;
}

TEST(SessionsCli, ShowPrintsConfigTasksAndFinalMetrics) {
  const auto db = temp_store("show");
  const int64_t id = record(db, "shown", 40);
  const auto text = run_cli("show --run " + std::to_string(id) + " --db " + quote(db));
  ASSERT_EQ(text.exit_code, 0) << text.all;
  for (const char* expected :
       {"run 1: shown", "finished", "copy_2", "copy,rev", "n_skills", "train/loss[task 1]",
        "(step 40)", "final evaluation", "trainable 100"}) {
    EXPECT_NE(text.out.find(expected), std::string::npos) << expected << "\n" << text.out;
  }
  const auto json = run_cli("show --json --run " + std::to_string(id) + " --db " + quote(db));
  ASSERT_EQ(json.exit_code, 0) << json.all;
  const auto run = nlohmann::json::parse(json.out);
  EXPECT_EQ(run["config"]["n_skills"], 4);
  EXPECT_EQ(run["tasks"].size(), 3u);
  EXPECT_EQ(run["tasks"][2]["skills"], (nlohmann::json{"copy", "rev"}));
  EXPECT_EQ(run["parameters"]["router"], 12);
  ASSERT_EQ(run["final_metrics"].size(), 3u);
  EXPECT_EQ(run["final_metrics"][1]["task"], 1);
  EXPECT_EQ(run["final_metrics"][1]["step"], 40);
  EXPECT_DOUBLE_EQ(run["final_metrics"][1]["value"].get<double>(), 2.0 / 40 + 1);
  ASSERT_EQ(run["final_evaluation"].size(), 3u);
  EXPECT_DOUBLE_EQ(run["final_evaluation"][2]["loss"].get<double>(), 2.5);
  EXPECT_TRUE(run["final_evaluation"][2]["accuracy"] == -1.0);
}

TEST(SessionsCli, ShowErrorsHaveClearMessagesAndExitCodes) {
  const auto db = temp_store("show-errors");
  record(db, "only", 2);
  auto result = run_cli("show --run 99 --db " + quote(db));
  EXPECT_EQ(result.exit_code, 5) << result.all;
  EXPECT_NE(result.all.find("no run 99"), std::string::npos) << result.all;
  result = run_cli("show --db " + quote(db));
  EXPECT_EQ(result.exit_code, 2) << result.all;
  EXPECT_NE(result.all.find("--run ID is required"), std::string::npos) << result.all;
  result = run_cli("show --run abc --db " + quote(db));
  EXPECT_EQ(result.exit_code, 2) << result.all;

  const auto text = temp_store("not-a-store");
  { std::ofstream(text) << std::string(300, 'q'); }
  const auto size = std::filesystem::file_size(text);
  result = run_cli("runs --db " + quote(text));
  EXPECT_EQ(result.exit_code, 5) << result.all;
  EXPECT_NE(result.all.find("not a SQLite database"), std::string::npos) << result.all;
  EXPECT_EQ(std::filesystem::file_size(text), size);
}

// One rule for "no such run" in every command that takes --run: exit 5 (the store has no
// such run), as for a store that cannot be read; a malformed id is exit 2. Each command's
// --help says so.
TEST(SessionsCli, NoSuchRunIsExitCodeFiveInEveryCommand) {
  const auto db = temp_store("no-such-run");
  record(db, "only", 2);
  const auto out = temp_store("no-such-run-export");
  for (const std::string& command :
       {std::string("show --run 99"), "export --run 99 --out " + quote(out),
        std::string("analyze --run 99"), std::string("eval --run 99")}) {
    SCOPED_TRACE(command);
    const auto result = run_cli(command + " --db " + quote(db));
    EXPECT_EQ(result.exit_code, 5) << result.all;
    EXPECT_NE(result.all.find("no run 99"), std::string::npos) << result.all;
    EXPECT_NE(result.all.find(db.string()), std::string::npos) << result.all;
  }
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(SessionsCli, MalformedRunIdIsExitCodeTwoInEveryCommand) {
  const auto db = temp_store("bad-run-id");
  record(db, "only", 2);
  const auto out = temp_store("bad-run-id-export");
  for (const std::string& command :
       {std::string("show --run 0"), "export --run 1x --out " + quote(out),
        std::string("analyze --run -3")}) {
    SCOPED_TRACE(command);
    const auto result = run_cli(command + " --db " + quote(db));
    EXPECT_EQ(result.exit_code, 2) << result.all;
    EXPECT_NE(result.all.find("--run expects a run id (a positive integer)"), std::string::npos)
        << result.all;
  }
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(SessionsCli, UnknownOptionExitsTwoInEveryStoreCommand) {
  const auto db = temp_store("unknown-option");
  record(db, "only", 2);
  const auto before = std::filesystem::file_size(db);
  for (const std::string& command :
       {std::string("runs --jsn"), std::string("show --run 1 --step 5"),
        "export --run 1 --out " + quote(temp_store("unknown-option-out")) + " --force",
        "import " + quote(db) + " --replace"}) {
    SCOPED_TRACE(command);
    const auto result = run_cli(command + " --db " + quote(db));
    EXPECT_EQ(result.exit_code, 2) << result.all;
    EXPECT_NE(result.all.find("unknown option"), std::string::npos) << result.all;
    EXPECT_NE(result.all.find("(allowed: "), std::string::npos) << result.all;
    EXPECT_NE(result.all.find("--db,"), std::string::npos) << result.all;
  }
  EXPECT_EQ(std::filesystem::file_size(db), before);
}

TEST(SessionsCli, HelpOfEveryRunCommandStatesTheExitCodes) {
  for (const char* command : {"show", "export", "analyze", "eval"}) {
    SCOPED_TRACE(command);
    const auto help = run_cli(std::string("help ") + command);
    ASSERT_EQ(help.exit_code, 0) << help.all;
    EXPECT_NE(help.out.find("5 the store cannot be opened or read, or has no run ID"),
              std::string::npos)
        << help.out;
    EXPECT_NE(help.out.find("2 bad command line"), std::string::npos) << help.out;
  }
}

TEST(SessionsCli, ExportThenImportOnAnotherStore) {
  const auto gpu_box = temp_store("gpu-box");
  const auto exported = temp_store("exported");
  const auto laptop = temp_store("laptop");
  record(gpu_box, "warm-up", 3);
  const int64_t id = record(gpu_box, "on the gpu", 25);
  record(laptop, "local", 4);

  auto result = run_cli("export --run " + std::to_string(id) + " --out " + quote(exported) +
                        " --db " + quote(gpu_box));
  ASSERT_EQ(result.exit_code, 0) << result.all;
  EXPECT_TRUE(std::filesystem::exists(exported));
  result = run_cli("export --run " + std::to_string(id) + " --out " + quote(exported) + " --db " +
                   quote(gpu_box));
  EXPECT_EQ(result.exit_code, 5) << result.all;  // never overwrites
  EXPECT_NE(result.all.find("already exists"), std::string::npos) << result.all;
  result = run_cli("export --run " + std::to_string(id) + " --db " + quote(gpu_box));
  EXPECT_EQ(result.exit_code, 2) << result.all;

  result = run_cli("import " + quote(exported) + " --db " + quote(laptop));
  ASSERT_EQ(result.exit_code, 0) << result.all;
  EXPECT_NE(result.out.find("imported 1 run(s)"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find(" as 2"), std::string::npos) << result.out;

  const auto original = nlohmann::json::parse(
      run_cli("show --json --run " + std::to_string(id) + " --db " + quote(gpu_box)).out);
  const auto imported =
      nlohmann::json::parse(run_cli("show --json --run 2 --db " + quote(laptop)).out);
  EXPECT_EQ(imported["id"], 2);
  EXPECT_EQ(imported["name"], "on the gpu");
  for (const char* field : {"config", "tasks", "final_metrics", "final_evaluation", "parameters",
                            "status", "last_step", "created_at"}) {
    EXPECT_EQ(imported[field], original[field]) << field;
  }
  result = run_cli("import " + quote(temp_store("nothing-there")) + " --db " + quote(laptop));
  EXPECT_EQ(result.exit_code, 5) << result.all;
  result = run_cli("import --db " + quote(laptop));
  EXPECT_EQ(result.exit_code, 2) << result.all;
}

}  // namespace
