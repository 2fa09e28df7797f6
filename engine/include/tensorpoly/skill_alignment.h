// Skill alignment between runs. Skills are interchangeable: two runs that learnt
// the same skills may list them in any order. Before two routing matrices are
// drawn side by side, the skills of one are matched one-to-one with those of
// the other so that the total routing similarity is maximal (Hungarian method).
// Plain C++ on RoutingMatrix; no Qt, no torch, so the comparison view and the
// command line share it.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tensorpoly/routing.h"

namespace tensorpoly::analysis {

// Minimum-cost assignment of rows to columns (Hungarian method, O(n^3)).
// `cost` is row-major [n_rows, n_cols] with n_rows <= n_cols. Returns, for every
// row, the column assigned to it; columns are used at most once.
// Throws std::invalid_argument when the sizes do not match or n_rows > n_cols.
std::vector<int> solve_assignment(const std::vector<double>& cost, int n_rows, int n_cols);

struct SkillAlignment {
  // other_skill[s] = the skill of `other` matched with skill s of `reference`;
  // -1 where `other` has fewer skills than `reference`.
  std::vector<int> other_skill;
  // Sum of the cosine similarities of the matched skill columns.
  double total_similarity = 0.0;
  bool aligned = false;       // false when the matrices are not comparable (see reason)
  int64_t matched_tasks = 0;  // tasks whose routing was compared
  std::string reason;         // why aligned is false; empty when aligned
};

// A task of the reference run and the same task in the other run: (reference index,
// other index).
using TaskPair = std::pair<int64_t, int64_t>;

// The tasks two runs share, matched by name (the intersection), in the reference's
// order. A name listed twice is matched occurrence by occurrence; an empty name
// (a task whose name is unknown) matches nothing.
std::vector<TaskPair> match_tasks_by_name(const std::vector<std::string>& reference_tasks,
                                          const std::vector<std::string>& other_tasks);

// Matches the skills of `other` to those of `reference`, comparing each skill's
// column of routing weights over (block, task) for the given task pairs only, so two
// runs whose suites are ordered differently or only overlap are compared on the same
// tasks. Needs the same kind and blocks and at least one pair within both matrices;
// otherwise the identity order is returned with aligned = false and a reason.
SkillAlignment align_skills(const RoutingMatrix& reference, const RoutingMatrix& other,
                            const std::vector<TaskPair>& tasks);
// For two matrices known to list the same tasks in the same order: task t with task t
// (the task counts must be equal).
SkillAlignment align_skills(const RoutingMatrix& reference, const RoutingMatrix& other);

// `matrix` with its skills reordered: skill s of the result is skill order[s] of
// `matrix` (order[s] = -1 gives a column of zeros). Skills not named are appended
// in their original order, so nothing is hidden.
RoutingMatrix reorder_skills(const RoutingMatrix& matrix, const std::vector<int>& order);

}  // namespace tensorpoly::analysis
