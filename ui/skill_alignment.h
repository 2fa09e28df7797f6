// Skill alignment between runs. Skills are interchangeable: two runs that learnt
// the same skills may list them in any order. Before two routing matrices are
// drawn side by side, the skills of one are matched one-to-one with those of
// the other so that the total routing similarity is maximal (Hungarian method).
// Plain C++ on RoutingMatrix; no Qt, no torch.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <vector>

#include "tensorpoly/routing.h"

namespace tensorpoly::ui {

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
  bool aligned = false;     // false when the matrices are not comparable (task counts differ)
};

// Matches the skills of `other` to those of `reference`, comparing each skill's
// column of routing weights over (block, task). Both matrices must have the same
// kind, blocks and tasks; otherwise the identity order is returned with aligned = false.
SkillAlignment align_skills(const RoutingMatrix& reference, const RoutingMatrix& other);

// `matrix` with its skills reordered: skill s of the result is skill order[s] of
// `matrix` (order[s] = -1 gives a column of zeros). Skills not named are appended
// in their original order, so nothing is hidden.
RoutingMatrix reorder_skills(const RoutingMatrix& matrix, const std::vector<int>& order);

}  // namespace tensorpoly::ui
