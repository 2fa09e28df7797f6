// Many machines: other store files attached read-only, export to a self-contained
// file, import with new ids.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "sessions/session_test_util.h"
#include "tensorpoly/sessions/recorder.h"
#include "tensorpoly/sessions/schema.h"
#include "tensorpoly/sessions/store.h"

namespace tensorpoly::sessions {
namespace {

using testing::file_state;
using testing::sample_routing;
using testing::sample_run;
using testing::sample_step;
using testing::temp_path;

int64_t record_run(const std::filesystem::path& path, const std::string& name, int steps) {
  Recorder recorder(path.string());
  recorder.on_run_started(sample_run(name));
  for (int step = 1; step <= steps; ++step) recorder.on_step(sample_step(step));
  recorder.on_routing(sample_routing(steps));
  EvalResult eval;
  eval.step = steps;
  eval.tasks.push_back({1, 0.25, 1.0, -1.0, 4});
  recorder.on_eval(eval);
  recorder.on_checkpoint({steps, "/ckpt"});
  recorder.on_run_ended({RunStatus::kFinished, steps, ""});
  return recorder.run_id();
}

// Everything a run holds, as comparable values.
void expect_same_run(const Store& a, const RunRef& ra, const Store& b, const RunRef& rb) {
  const RunDetails da = a.run_details(ra), db = b.run_details(rb);
  EXPECT_EQ(da.summary.name, db.summary.name);
  EXPECT_EQ(da.summary.status, db.summary.status);
  EXPECT_EQ(da.summary.last_step, db.summary.last_step);
  EXPECT_EQ(da.summary.created_at, db.summary.created_at);
  EXPECT_EQ(da.config_json, db.config_json);
  EXPECT_EQ(da.parameters.trainable, db.parameters.trainable);
  ASSERT_EQ(da.tasks.size(), db.tasks.size());
  for (size_t i = 0; i < da.tasks.size(); ++i) EXPECT_EQ(da.tasks[i].skills, db.tasks[i].skills);
  const auto keys = a.metric_keys(ra);
  ASSERT_EQ(keys, b.metric_keys(rb));
  for (const auto& key : keys) {
    const auto sa = a.metric_series(ra, {key.name, key.split, key.task});
    const auto sb = b.metric_series(rb, {key.name, key.split, key.task});
    ASSERT_EQ(sa.size(), 1u);
    ASSERT_EQ(sb.size(), 1u);
    EXPECT_EQ(sa[0].steps, sb[0].steps);
    EXPECT_EQ(sa[0].values, sb[0].values);
  }
  EXPECT_EQ(a.routing_steps(ra), b.routing_steps(rb));
  EXPECT_EQ(a.routing_nearest(ra, 0).layers.at(1).values,
            b.routing_nearest(rb, 0).layers.at(1).values);
  EXPECT_EQ(a.evaluations(ra).size(), b.evaluations(rb).size());
  EXPECT_EQ(a.evaluations(ra).at(0).task_name, b.evaluations(rb).at(0).task_name);
  EXPECT_EQ(a.checkpoints(ra).at(0).path, b.checkpoints(rb).at(0).path);
}

TEST(Transfer, AttachedFilesListWithLocalRunsAndStayUntouched) {
  const auto local = temp_path("local");
  const auto gpu_box = temp_path("gpu-box");
  const auto node = temp_path("node");
  record_run(local, "local run", 5);
  const int64_t remote_id = record_run(gpu_box, "gpu run", 7);
  record_run(node, "node run", 3);
  record_run(node, "node run 2", 4);
  const auto gpu_before = file_state(gpu_box);

  auto store = Store::open(local.string());
  EXPECT_EQ(store.attach(gpu_box.string(), "gpu"), "gpu");
  EXPECT_EQ(store.attach(node.string()), "db1");
  EXPECT_EQ(store.attached().size(), 2u);
  EXPECT_THROW(store.attach(node.string()), StoreError);   // already attached
  EXPECT_THROW(store.attach(local.string()), StoreError);  // the main file
  EXPECT_THROW(store.attach(temp_path("nope").string()), StoreError);

  const auto runs = store.list_runs();
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[0].database, "main");
  EXPECT_EQ(runs[0].name, "local run");
  EXPECT_EQ(runs[1].database, "db1");
  EXPECT_EQ(runs[1].name, "node run 2");
  EXPECT_EQ(runs[1].source, node.string());
  EXPECT_EQ(runs[3].database, "gpu");
  EXPECT_EQ(runs[3].id, remote_id);
  EXPECT_EQ(store.list_runs({"", "", "", "", "gpu"}).size(), 1u);

  // Queries read attached runs through RunRef(database, id).
  const RunRef remote("gpu", remote_id);
  EXPECT_EQ(store.run_details(remote).summary.last_step, 7);
  EXPECT_EQ(store.metric_series(remote, {"loss", "train", 0}).at(0).steps.size(), 7u);
  EXPECT_EQ(store.routing_nearest(remote, 7).step, 7);
  EXPECT_EQ(store.final_evaluations(remote).at(0).task_name, "task1");
  EXPECT_THROW(store.run_details(RunRef("elsewhere", 1)), StoreError);
  // Attached files are read-only.
  EXPECT_NE(sqlite3_exec(store.handle(), "DELETE FROM gpu.runs", nullptr, nullptr, nullptr),
            SQLITE_OK);

  store.detach("gpu");
  EXPECT_EQ(store.list_runs().size(), 3u);
  EXPECT_TRUE(file_state(gpu_box) == gpu_before);
}

TEST(Transfer, AttachRefusesOtherSchemaVersions) {
  const auto local = temp_path("local-v");
  const auto newer = temp_path("newer-v");
  { Store::open(newer.string()); }
  {
    sqlite3* db = nullptr;
    sqlite3_open(newer.c_str(), &db);
    sqlite3_exec(db, "PRAGMA user_version = 42", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  auto store = Store::open(local.string());
  try {
    store.attach(newer.string());
    FAIL() << "attached a newer file";
  } catch (const StoreError& error) {
    EXPECT_NE(std::string(error.what()).find("schema version 42 is newer"), std::string::npos)
        << error.what();
  }
  EXPECT_TRUE(store.attached().empty());
  EXPECT_EQ(store.list_runs().size(), 0u);
}

TEST(Transfer, ExportThenImportCopiesEveryRowWithANewId) {
  const auto source = temp_path("source");
  const auto exported = temp_path("exported");
  const auto target = temp_path("target");
  record_run(source, "first", 3);
  const int64_t id = record_run(source, "to export", 40);
  record_run(target, "already here", 2);
  record_run(target, "also here", 2);

  auto from = Store::open(source.string(), OpenMode::kReadOnly);
  from.export_run(id, exported.string());
  EXPECT_THROW(from.export_run(id, exported.string()), StoreError);  // exists
  EXPECT_THROW(from.export_run(999, temp_path("x").string()), StoreError);
  EXPECT_FALSE(std::filesystem::exists(exported.string() + "-wal"));

  {
    auto alone = Store::open(exported.string(), OpenMode::kReadOnly);
    const auto runs = alone.list_runs();
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].id, id);
    expect_same_run(from, id, alone, id);
  }

  auto to = Store::open(target.string());
  const auto ids = to.import_runs(exported.string());
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0], 3);  // after the two runs already there
  EXPECT_EQ(to.list_runs().size(), 3u);
  expect_same_run(from, id, to, ids[0]);
  EXPECT_EQ(to.integrity_check(), "ok");
  EXPECT_THROW(to.import_runs(target.string()), StoreError);  // into itself

  // An export of an attached run works the same.
  const auto exported2 = temp_path("exported2");
  to.attach(source.string(), "src");
  to.export_run(RunRef("src", id), exported2.string());
  auto again = Store::open(exported2.string(), OpenMode::kReadOnly);
  expect_same_run(from, id, again, id);
}

TEST(Transfer, ImportOfANonStoreRollsBackEverything) {
  const auto target = temp_path("target-bad");
  const auto bad = temp_path("bad-import");
  record_run(target, "here", 2);
  { std::ofstream(bad) << std::string(4096, 'z'); }
  auto store = Store::open(target.string());
  EXPECT_THROW(store.import_runs(bad.string()), StoreError);
  EXPECT_EQ(store.list_runs().size(), 1u);
  EXPECT_TRUE(store.attached().empty());
}

}  // namespace
}  // namespace tensorpoly::sessions
