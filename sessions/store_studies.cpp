// Store: studies, the named sets of runs that tensorpoly-run study records (methods x
// seeds), kept in table study_runs beside the runs.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "store_internal.h"
#include "tensorpoly/sessions/store.h"

namespace tensorpoly::sessions {

using detail::read_rows;
using detail::Statement;

std::vector<std::string> Store::study_names() const {
  Statement rows(db_, path_, prepare("SELECT DISTINCT study FROM study_runs ORDER BY study"));
  return read_rows(rows, [](const Statement& row) { return row.text(0); });
}

std::vector<StudyRun> Store::study_runs(const std::string& study) const {
  Statement rows(db_, path_,
                 prepare("SELECT run_id, method, seed FROM study_runs WHERE study = ?1"
                         " ORDER BY method, seed, run_id"));
  rows.bind_text(1, study);
  struct Link {
    int64_t run_id;
    std::string method;
    uint64_t seed;
  };
  const std::vector<Link> links = read_rows(rows, [](const Statement& row) {
    return Link{row.int64(0), row.text(1), static_cast<uint64_t>(row.int64(2))};
  });
  std::vector<StudyRun> runs;
  runs.reserve(links.size());
  for (const Link& link : links) {
    auto summary = run_summary(link.run_id);
    if (!summary) {
      throw StoreError(path_ + ": study '" + study + "' lists run " + std::to_string(link.run_id) +
                       ", which does not exist");
    }
    runs.push_back({std::move(*summary), link.method, link.seed});
  }
  return runs;
}

void Store::add_study_run(int64_t run_id, const std::string& study, const std::string& method,
                          uint64_t seed) {
  require_writable("add a run to a study");
  if (study.empty()) throw StoreError(path_ + ": a study needs a name");
  if (!run_summary(run_id)) throw StoreError(path_ + ": no run " + std::to_string(run_id));
  Statement insert(db_, path_,
                   prepare("INSERT OR REPLACE INTO study_runs (run_id, study, method, seed)"
                           " VALUES (?1, ?2, ?3, ?4)"));
  insert.bind_int64(1, run_id).bind_text(2, study).bind_text(3, method);
  insert.bind_int64(4, static_cast<int64_t>(seed)).run();
}

}  // namespace tensorpoly::sessions
