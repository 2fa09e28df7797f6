// The figures of a study (tensorpoly/sessions/study_report.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/sessions/study_report.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

namespace tensorpoly::sessions {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Seconds since the epoch of "YYYY-MM-DDTHH:MM:SSZ" (UTC); NaN when it is not that.
double utc_seconds(const std::string& text) {
  std::tm parts{};
  if (text.size() != 20 ||
      std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ", &parts.tm_year, &parts.tm_mon,
                  &parts.tm_mday, &parts.tm_hour, &parts.tm_min, &parts.tm_sec) != 6) {
    return kNaN;
  }
  parts.tm_year -= 1900;
  parts.tm_mon -= 1;
  return static_cast<double>(timegm(&parts));
}

double mean_of(const std::vector<double>& values) {
  if (values.empty()) return kNaN;
  double sum = 0.0;
  for (double value : values) sum += value;
  return sum / static_cast<double>(values.size());
}

// Mean exact match and loss of the rows of one evaluation (exact match where measured).
std::pair<double, double> evaluation_means(const std::vector<EvaluationRow>& rows) {
  std::vector<double> exact, loss;
  for (const EvaluationRow& row : rows) {
    if (row.exact_match >= 0) exact.push_back(row.exact_match);
    loss.push_back(row.loss);
  }
  return {mean_of(exact), mean_of(loss)};
}

}  // namespace

RunOutcome run_outcome(const Store& store, const RunRef& run) {
  RunOutcome outcome;
  const RunDetails details = store.run_details(run);
  outcome.trainable_params = details.parameters.trainable;
  outcome.wall_time_s =
      utc_seconds(details.summary.finished_at) - utc_seconds(details.summary.created_at);
  const std::vector<int64_t> eval_steps = store.evaluation_steps(run, "eval");
  std::tie(outcome.final_validation_exact_match, outcome.final_validation_loss) =
      eval_steps.empty() ? std::make_pair(kNaN, kNaN)
                         : evaluation_means(store.evaluations(run, "eval", eval_steps.back()));
  // Held-out tasks are adapted one by one: each has its own last few-shot step.
  std::map<int, EvaluationRow> before, after;
  for (const EvaluationRow& row : store.evaluations(run, "heldout")) {
    if (row.step == 0) before[row.task] = row;
    auto found = after.find(row.task);
    if (found == after.end() || found->second.step < row.step) after[row.task] = row;
  }
  auto exact_match_of = [](const std::map<int, EvaluationRow>& rows) {
    std::vector<EvaluationRow> list;
    list.reserve(rows.size());
    for (const auto& entry : rows) list.push_back(entry.second);
    return evaluation_means(list).first;
  };
  outcome.heldout_exact_match_before = exact_match_of(before);
  // A task never evaluated after step 0 was not adapted: no "after" figure.
  std::map<int, EvaluationRow> adapted;
  for (const auto& [task, row] : after) {
    if (row.step > 0) adapted[task] = row;
  }
  outcome.heldout_exact_match_after = exact_match_of(adapted);
  return outcome;
}

const std::vector<StudyMetric>& study_metrics() {
  static const std::vector<StudyMetric> metrics = {
      {"final_validation_exact_match", "val EM", &RunOutcome::final_validation_exact_match},
      {"final_validation_loss", "val loss", &RunOutcome::final_validation_loss},
      {"heldout_exact_match_before", "held-out EM before", &RunOutcome::heldout_exact_match_before},
      {"heldout_exact_match_after", "held-out EM after", &RunOutcome::heldout_exact_match_after}};
  return metrics;
}

std::vector<MethodSummary> summarize_study(const Store& store, const std::string& study) {
  const std::vector<StudyRun> runs = store.study_runs(study);
  if (runs.empty()) throw StoreError(store.path() + ": no study '" + study + "'");
  // Methods in the order their first run was recorded; per seed the latest finished run.
  std::map<std::string, int64_t> first_run;
  std::map<std::string, std::map<uint64_t, const StudyRun*>> latest;
  for (const StudyRun& run : runs) {
    auto found = first_run.find(run.method);
    if (found == first_run.end() || run.run.id < found->second) first_run[run.method] = run.run.id;
    auto& seeds = latest[run.method];
    if (run.run.status != "finished") continue;
    const StudyRun*& chosen = seeds[run.seed];
    if (!chosen || chosen->run.id < run.run.id) chosen = &run;
  }
  std::vector<std::string> order;
  order.reserve(first_run.size());
  for (const auto& entry : first_run) order.push_back(entry.first);
  std::sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
    return first_run.at(a) < first_run.at(b);
  });
  std::vector<MethodSummary> summaries;
  for (const std::string& method : order) {
    MethodSummary summary;
    summary.method = method;
    std::vector<RunOutcome> outcomes;
    std::vector<double> wall_times;
    for (const auto& [seed, run] : latest[method]) {
      summary.run_ids.push_back(run->run.id);
      summary.seeds.push_back(seed);
      outcomes.push_back(run_outcome(store, run->run.ref()));
      wall_times.push_back(outcomes.back().wall_time_s);
    }
    if (!outcomes.empty()) summary.trainable_params = outcomes.front().trainable_params;
    summary.median_wall_time_s = analysis::median(wall_times);
    for (const StudyMetric& metric : study_metrics()) {
      std::vector<double> values;
      values.reserve(outcomes.size());
      for (const RunOutcome& outcome : outcomes) values.push_back(outcome.*metric.field);
      summary.metrics.push_back(analysis::mean_interval(values));
    }
    summaries.push_back(std::move(summary));
  }
  return summaries;
}

}  // namespace tensorpoly::sessions
