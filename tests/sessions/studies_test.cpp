// Studies in the store (which runs form a study, as which method and seed) and the routing
// after few-shot adaptation: recorded, listed, filtered, deleted, exported and imported
// with their runs; and a study's report read back from evaluations.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <cmath>

#include "sessions/session_test_util.h"
#include "tensorpoly/sessions/recorder.h"
#include "tensorpoly/sessions/store.h"
#include "tensorpoly/sessions/study_report.h"

namespace tensorpoly::sessions {
namespace {

using testing::sample_run;
using testing::temp_path;

RoutingSnapshot routing_at(int64_t step, float value, const std::string& stage) {
  RoutingSnapshot snapshot;
  snapshot.step = step;
  snapshot.stage = stage;
  snapshot.layers.push_back({"encoder.block.0.layer.0.SelfAttention.q",
                             RoutingKind::kSkills,
                             {3, 2},
                             {value, 1 - value, value, 1 - value, value, 1 - value}});
  return snapshot;
}

// A finished run: training evaluations at steps 0 and 10 (the last has exact matches
// `exact` for tasks 0, 1), held-out task 2 before (0.1) and after (`after`) adaptation.
int64_t record_run(Recorder& recorder, const std::string& name, double exact, double after) {
  recorder.on_run_started(sample_run(name));
  recorder.on_routing(routing_at(10, 0.7f, "train"));
  for (int64_t step : {0, 10}) {
    EvalResult eval;
    eval.step = step;
    eval.split = "eval";
    const double em = step == 0 ? 0.0 : exact;
    eval.tasks = {{0, 1.5, em, -1, 8}, {1, 2.5, em + 0.1, -1, 8}};
    recorder.on_eval(eval);
  }
  for (int64_t step : {0, 5}) {
    EvalResult heldout;
    heldout.step = step;
    heldout.split = "heldout";
    heldout.tasks = {{2, 3.0, step == 0 ? 0.1 : after, -1, 8}};
    recorder.on_eval(heldout);
  }
  recorder.on_routing(routing_at(10, 0.2f, "few_shot"));
  recorder.on_run_ended({RunStatus::kFinished, 10, ""});
  return recorder.run_id();
}

TEST(Studies, RunsJoinAStudyAndTheAdaptedRoutingHasItsOwnTable) {
  const auto path = temp_path("studies");
  int64_t first = 0, second = 0, loose = 0;
  {
    Recorder recorder(path.string());
    first = record_run(recorder, "a", 0.5, 0.4);
    second = record_run(recorder, "b", 0.7, 0.6);
    loose = record_run(recorder, "c", 0.9, 0.9);
  }
  Store store = Store::open(path.string());
  store.add_study_run(first, "Zeta", "poly", 0);
  store.add_study_run(second, "Zeta", "poly", 1);
  EXPECT_THROW(store.add_study_run(999, "Zeta", "poly", 2), StoreError);
  EXPECT_EQ(store.study_names(), std::vector<std::string>{"Zeta"});
  const auto runs = store.study_runs("Zeta");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].run.id, first);
  EXPECT_EQ(runs[1].seed, 1u);
  EXPECT_EQ(runs[1].method, "poly");
  EXPECT_EQ(store.run_summary(first)->study, "Zeta");
  EXPECT_EQ(store.run_summary(loose)->study, "");
  RunFilter by_study;
  by_study.text = "zet";  // matches the study name (and nothing else of these runs)
  EXPECT_EQ(store.list_runs(by_study).size(), 2u);

  // Training snapshots stay on the step axis; the adapted one is apart.
  EXPECT_EQ(store.routing_steps(first), std::vector<int64_t>{10});
  EXPECT_FLOAT_EQ(store.routing_nearest(first, 10).layers.at(0).values[0], 0.7f);
  const RoutingAtStep adapted = store.adapted_routing(first);
  EXPECT_EQ(adapted.step, 10);
  ASSERT_EQ(adapted.layers.size(), 1u);
  EXPECT_FLOAT_EQ(adapted.layers[0].values[0], 0.2f);
  EXPECT_EQ(store.adapted_routing(RunRef(12345)).step, -1);

  // Export carries the study link and the adapted routing; import gives new ids.
  const auto exported = temp_path("study-export");
  store.export_run(first, exported.string());
  Store other = Store::open(temp_path("study-import").string());
  const auto ids = other.import_runs(exported.string());
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(other.run_summary(ids[0])->study, "Zeta");
  EXPECT_EQ(other.study_runs("Zeta").at(0).method, "poly");
  EXPECT_FLOAT_EQ(other.adapted_routing(ids[0]).layers.at(0).values[0], 0.2f);

  // Deleting a run removes it from its study.
  store.delete_run(first);
  EXPECT_EQ(store.study_runs("Zeta").size(), 1u);
  EXPECT_EQ(store.adapted_routing(first).step, -1);
}

// The report of two seeds by hand: val EM of a run is the mean over its tasks at the last
// evaluation (0.55 and 0.75), so the mean is 0.65 and the 95 % interval
// 0.65 ± t(0.975, 1) · sd / sqrt(2) = 0.65 ± 12.7062047 · 0.1.
TEST(Studies, SummaryIsTheMeanAndStudentTIntervalOverSeeds) {
  const auto path = temp_path("study-report");
  int64_t a = 0, b = 0, unfinished = 0;
  {
    Recorder recorder(path.string());
    a = record_run(recorder, "a", 0.5, 0.4);
    b = record_run(recorder, "b", 0.7, 0.6);
    recorder.on_run_started(sample_run("c"));  // never ended: interrupted below
    unfinished = recorder.run_id();
    recorder.close();
  }
  Store store = Store::open(path.string());
  store.add_study_run(a, "S", "poly", 0);
  store.add_study_run(b, "S", "poly", 1);
  store.add_study_run(unfinished, "S", "lora", 0);
  const RunOutcome outcome = run_outcome(store, a);
  EXPECT_NEAR(outcome.final_validation_exact_match, 0.55, 1e-12);
  EXPECT_NEAR(outcome.final_validation_loss, 2.0, 1e-12);
  EXPECT_NEAR(outcome.heldout_exact_match_before, 0.1, 1e-12);
  EXPECT_NEAR(outcome.heldout_exact_match_after, 0.4, 1e-12);
  EXPECT_EQ(outcome.trainable_params, 5000);

  const auto summaries = summarize_study(store, "S");
  ASSERT_EQ(summaries.size(), 2u);
  EXPECT_EQ(summaries[0].method, "poly");
  EXPECT_EQ(summaries[0].n(), 2);
  EXPECT_EQ(summaries[0].run_ids, (std::vector<int64_t>{a, b}));
  const analysis::MeanInterval& em = summaries[0].metrics.at(0);
  EXPECT_NEAR(em.mean, 0.65, 1e-12);
  ASSERT_TRUE(em.interval.has_value());
  EXPECT_NEAR((*em.interval)[0], 0.65 - 1.27062047, 1e-6);
  EXPECT_NEAR((*em.interval)[1], 0.65 + 1.27062047, 1e-6);
  EXPECT_NEAR(summaries[0].metrics.at(3).mean, 0.5, 1e-12);  // held-out after: 0.4, 0.6
  // The interrupted run counts for nothing: its method has no seed.
  EXPECT_EQ(summaries[1].method, "lora");
  EXPECT_EQ(summaries[1].n(), 0);
  EXPECT_EQ(summaries[1].metrics.at(0).n, 0);
  EXPECT_THROW(summarize_study(store, "nope"), StoreError);
}

}  // namespace
}  // namespace tensorpoly::sessions
