// The figures of a study (tensorpoly-run study-report, the GUI's study comparison): per
// run, its final validation and held-out results read from the store; per method, their
// mean with a 95 % Student-t confidence interval over the seeds.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensorpoly/sessions/store.h"
#include "tensorpoly/statistics.h"

namespace tensorpoly::sessions {

// One run's final figures; NaN where the run did not measure it.
struct RunOutcome {
  // The last "eval" evaluation (the training tasks): mean over tasks.
  double final_validation_exact_match = 0.0;
  double final_validation_loss = 0.0;
  // Few-shot adaptation: mean over the held-out tasks of each task's exact match at
  // few-shot step 0 (before) and at its last few-shot step (after).
  double heldout_exact_match_before = 0.0;
  double heldout_exact_match_after = 0.0;
  double wall_time_s = 0.0;  // finished_at - created_at (pre-training a new base included)
  int64_t trainable_params = 0;
};
RunOutcome run_outcome(const Store& store, const RunRef& run);

// The study's metrics, in the order they are reported.
struct StudyMetric {
  const char* key;    // JSON key: "final_validation_exact_match", ...
  const char* label;  // table heading: "val EM", ...
  double RunOutcome::*field;
};
const std::vector<StudyMetric>& study_metrics();

struct MethodSummary {
  std::string method;
  std::vector<int64_t> run_ids;  // one finished run per seed (the latest), by seed
  std::vector<uint64_t> seeds;
  int64_t trainable_params = 0;
  double median_wall_time_s = 0.0;
  std::vector<analysis::MeanInterval> metrics;  // by study_metrics()
  int64_t n() const { return static_cast<int64_t>(run_ids.size()); }
};

// Every method of `study` (in the order its first run was recorded) over its finished
// runs, one per seed (the latest when a combination was run again). Methods whose runs
// are all unfinished are listed with n = 0. Throws StoreError when the study has no run.
std::vector<MethodSummary> summarize_study(const Store& store, const std::string& study);

}  // namespace tensorpoly::sessions
