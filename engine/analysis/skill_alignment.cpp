// Skill alignment between runs: the Hungarian method and routing similarity of skills.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/skill_alignment.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>

namespace tensorpoly::analysis {

std::vector<int> solve_assignment(const std::vector<double>& cost, int n_rows, int n_cols) {
  if (n_rows < 0 || n_cols < 0 || n_rows > n_cols) {
    throw std::invalid_argument("solve_assignment: need 0 <= rows <= columns, got " +
                                std::to_string(n_rows) + " x " + std::to_string(n_cols));
  }
  const size_t expected = static_cast<size_t>(n_rows) * static_cast<size_t>(n_cols);
  if (cost.size() != expected) {
    throw std::invalid_argument("solve_assignment: cost has " + std::to_string(cost.size()) +
                                " entries, expected " + std::to_string(expected));
  }
  if (n_rows == 0) return {};
  // Shortest augmenting paths with potentials (Kuhn-Munkres), 1-based with a
  // virtual column 0 that holds the row being inserted.
  const double infinity = std::numeric_limits<double>::infinity();
  std::vector<double> row_potential(static_cast<size_t>(n_rows) + 1, 0.0);
  std::vector<double> column_potential(static_cast<size_t>(n_cols) + 1, 0.0);
  std::vector<int> row_of_column(static_cast<size_t>(n_cols) + 1, 0);
  std::vector<int> previous_column(static_cast<size_t>(n_cols) + 1, 0);
  const auto at = [&](int row, int column) {
    return cost[static_cast<size_t>(row - 1) * static_cast<size_t>(n_cols) +
                static_cast<size_t>(column - 1)];
  };
  for (int row = 1; row <= n_rows; ++row) {
    row_of_column[0] = row;
    int column = 0;
    std::vector<double> min_slack(static_cast<size_t>(n_cols) + 1, infinity);
    std::vector<bool> used(static_cast<size_t>(n_cols) + 1, false);
    do {
      used[static_cast<size_t>(column)] = true;
      const int current_row = row_of_column[static_cast<size_t>(column)];
      double delta = infinity;
      int next_column = 0;
      for (int candidate = 1; candidate <= n_cols; ++candidate) {
        const auto c = static_cast<size_t>(candidate);
        if (used[c]) continue;
        const double slack = at(current_row, candidate) -
                             row_potential[static_cast<size_t>(current_row)] - column_potential[c];
        if (slack < min_slack[c]) {
          min_slack[c] = slack;
          previous_column[c] = column;
        }
        if (min_slack[c] < delta) {
          delta = min_slack[c];
          next_column = candidate;
        }
      }
      for (int j = 0; j <= n_cols; ++j) {
        const auto c = static_cast<size_t>(j);
        if (used[c]) {
          row_potential[static_cast<size_t>(row_of_column[c])] += delta;
          column_potential[c] -= delta;
        } else {
          min_slack[c] -= delta;
        }
      }
      column = next_column;
    } while (row_of_column[static_cast<size_t>(column)] != 0);
    do {
      const int previous = previous_column[static_cast<size_t>(column)];
      row_of_column[static_cast<size_t>(column)] = row_of_column[static_cast<size_t>(previous)];
      column = previous;
    } while (column != 0);
  }
  std::vector<int> column_of_row(static_cast<size_t>(n_rows), -1);
  for (int column = 1; column <= n_cols; ++column) {
    const int row = row_of_column[static_cast<size_t>(column)];
    if (row > 0) column_of_row[static_cast<size_t>(row - 1)] = column - 1;
  }
  return column_of_row;
}

namespace {

// Column of skill `skill` over every (block, task pair): the tasks of `matrix` are
// the pairs' first (reference) or second (other) members.
std::vector<double> skill_column(const RoutingMatrix& matrix, int64_t skill,
                                 const std::vector<TaskPair>& tasks, bool reference_side) {
  std::vector<double> column;
  column.reserve(static_cast<size_t>(matrix.n_blocks()) * tasks.size());
  for (int64_t block = 0; block < matrix.n_blocks(); ++block) {
    for (const TaskPair& pair : tasks) {
      column.push_back(matrix.at(block, reference_side ? pair.first : pair.second, skill));
    }
  }
  return column;
}

double cosine(const std::vector<double>& a, const std::vector<double>& b) {
  double dot = 0.0, norm_a = 0.0, norm_b = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += a[i] * b[i];
    norm_a += a[i] * a[i];
    norm_b += b[i] * b[i];
  }
  if (norm_a <= 0.0 || norm_b <= 0.0) return 0.0;
  return dot / std::sqrt(norm_a * norm_b);
}

}  // namespace

std::vector<TaskPair> match_tasks_by_name(const std::vector<std::string>& reference_tasks,
                                          const std::vector<std::string>& other_tasks) {
  std::map<std::string, std::vector<int64_t>> unused;  // name -> other indices, in order
  for (size_t i = 0; i < other_tasks.size(); ++i)
    unused[other_tasks[i]].push_back(static_cast<int64_t>(i));
  std::map<std::string, size_t> next;  // name -> how many of its occurrences are used
  std::vector<TaskPair> pairs;
  for (size_t i = 0; i < reference_tasks.size(); ++i) {
    if (reference_tasks[i].empty()) continue;  // an unnamed task matches nothing
    const auto found = unused.find(reference_tasks[i]);
    if (found == unused.end()) continue;
    size_t& used = next[reference_tasks[i]];
    if (used >= found->second.size()) continue;
    pairs.emplace_back(static_cast<int64_t>(i), found->second[used++]);
  }
  return pairs;
}

SkillAlignment align_skills(const RoutingMatrix& reference, const RoutingMatrix& other) {
  if (reference.n_tasks() != other.n_tasks()) {
    SkillAlignment result = align_skills(reference, other, {});
    result.reason = "the runs have " + std::to_string(reference.n_tasks()) + " and " +
                    std::to_string(other.n_tasks()) + " tasks";
    return result;
  }
  std::vector<TaskPair> same_order;
  for (int64_t task = 0; task < reference.n_tasks(); ++task) same_order.emplace_back(task, task);
  return align_skills(reference, other, same_order);
}

SkillAlignment align_skills(const RoutingMatrix& reference, const RoutingMatrix& other,
                            const std::vector<TaskPair>& tasks) {
  SkillAlignment result;
  const int64_t n_reference = reference.n_skills();
  const int64_t n_other = other.n_skills();
  result.other_skill.resize(static_cast<size_t>(n_reference));
  for (int64_t s = 0; s < n_reference; ++s) {
    result.other_skill[static_cast<size_t>(s)] = s < n_other ? static_cast<int>(s) : -1;
  }
  // Only pairs that index both matrices (a task list may be longer than a snapshot).
  std::vector<TaskPair> usable;
  for (const TaskPair& pair : tasks) {
    if (pair.first >= 0 && pair.first < reference.n_tasks() && pair.second >= 0 &&
        pair.second < other.n_tasks()) {
      usable.push_back(pair);
    }
  }
  if (reference.kind != other.kind) {
    result.reason = std::string("the routing kinds differ (") + routing_kind_name(reference.kind) +
                    " and " + routing_kind_name(other.kind) + ")";
    return result;
  }
  if (reference.n_blocks() != other.n_blocks()) {
    result.reason = "the runs have " + std::to_string(reference.n_blocks()) + " and " +
                    std::to_string(other.n_blocks()) + " orders/splits";
    return result;
  }
  if (n_reference == 0 || n_other == 0) {
    result.reason = "a run has no skills";
    return result;
  }
  if (usable.empty()) {
    result.reason = "the runs have no task in common";
    return result;
  }
  result.matched_tasks = static_cast<int64_t>(usable.size());
  std::vector<std::vector<double>> reference_columns, other_columns;
  for (int64_t s = 0; s < n_reference; ++s)
    reference_columns.push_back(skill_column(reference, s, usable, true));
  for (int64_t s = 0; s < n_other; ++s)
    other_columns.push_back(skill_column(other, s, usable, false));
  // The Hungarian method wants rows <= columns: put the smaller side on the rows.
  const bool reference_on_rows = n_reference <= n_other;
  const auto& row_columns = reference_on_rows ? reference_columns : other_columns;
  const auto& col_columns = reference_on_rows ? other_columns : reference_columns;
  const int n_rows = static_cast<int>(row_columns.size());
  const int n_cols = static_cast<int>(col_columns.size());
  std::vector<double> similarity(static_cast<size_t>(n_rows) * static_cast<size_t>(n_cols));
  std::vector<double> cost(similarity.size());
  for (int r = 0; r < n_rows; ++r) {
    for (int c = 0; c < n_cols; ++c) {
      const size_t index =
          static_cast<size_t>(r) * static_cast<size_t>(n_cols) + static_cast<size_t>(c);
      similarity[index] =
          cosine(row_columns[static_cast<size_t>(r)], col_columns[static_cast<size_t>(c)]);
      cost[index] = -similarity[index];
    }
  }
  const std::vector<int> assignment = solve_assignment(cost, n_rows, n_cols);
  std::fill(result.other_skill.begin(), result.other_skill.end(), -1);
  for (int r = 0; r < n_rows; ++r) {
    const int c = assignment[static_cast<size_t>(r)];
    result.total_similarity +=
        similarity[static_cast<size_t>(r) * static_cast<size_t>(n_cols) + static_cast<size_t>(c)];
    if (reference_on_rows) {
      result.other_skill[static_cast<size_t>(r)] = c;
    } else {
      result.other_skill[static_cast<size_t>(c)] = r;
    }
  }
  result.aligned = true;
  return result;
}

RoutingMatrix reorder_skills(const RoutingMatrix& matrix, const std::vector<int>& order) {
  const int64_t n_skills = matrix.n_skills();
  std::vector<int> full_order(order.begin(), order.end());
  std::vector<bool> named(static_cast<size_t>(n_skills), false);
  for (const int skill : order) {
    if (skill >= 0 && skill < n_skills) named[static_cast<size_t>(skill)] = true;
  }
  for (int64_t skill = 0; skill < n_skills; ++skill) {
    if (!named[static_cast<size_t>(skill)]) full_order.push_back(static_cast<int>(skill));
  }
  RoutingMatrix result;
  result.layer = matrix.layer;
  result.kind = matrix.kind;
  result.shape = matrix.shape;
  const auto n_result_skills = static_cast<int64_t>(full_order.size());
  if (result.shape.empty()) return result;
  result.shape.back() = n_result_skills;
  result.values.reserve(
      static_cast<size_t>(matrix.n_blocks() * matrix.n_tasks() * n_result_skills));
  for (int64_t block = 0; block < matrix.n_blocks(); ++block) {
    for (int64_t task = 0; task < matrix.n_tasks(); ++task) {
      for (const int skill : full_order) {
        result.values.push_back(skill >= 0 && skill < n_skills ? matrix.at(block, task, skill)
                                                               : 0.0f);
      }
    }
  }
  return result;
}

}  // namespace tensorpoly::analysis
