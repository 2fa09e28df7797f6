// Skill alignment: the Hungarian method against brute force, and skills matched
// between runs whose suites are reordered or only overlap.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/skill_alignment.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <random>

namespace tensorpoly::analysis {
namespace {

// Brute force over every permutation: the reference the Hungarian method must match.
double best_cost_by_brute_force(const std::vector<double>& cost, int n) {
  std::vector<int> permutation(static_cast<size_t>(n));
  std::iota(permutation.begin(), permutation.end(), 0);
  double best = 1e300;
  do {
    double total = 0.0;
    for (int row = 0; row < n; ++row)
      total += cost[static_cast<size_t>(row * n + permutation[static_cast<size_t>(row)])];
    best = std::min(best, total);
  } while (std::next_permutation(permutation.begin(), permutation.end()));
  return best;
}

TEST(SkillAlignment, AssignmentIsOptimalOnRandomMatrices) {
  std::mt19937 generator(7);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  for (int n = 1; n <= 7; ++n) {
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<double> cost(static_cast<size_t>(n * n));
      for (double& value : cost) value = uniform(generator);
      const std::vector<int> assignment = solve_assignment(cost, n, n);
      std::vector<int> sorted = assignment;
      std::sort(sorted.begin(), sorted.end());
      for (int i = 0; i < n; ++i)
        ASSERT_EQ(sorted[static_cast<size_t>(i)], i) << "not a permutation";
      double total = 0.0;
      for (int row = 0; row < n; ++row)
        total += cost[static_cast<size_t>(row * n + assignment[static_cast<size_t>(row)])];
      EXPECT_NEAR(total, best_cost_by_brute_force(cost, n), 1e-9) << "n = " << n;
    }
  }
}

TEST(SkillAlignment, RectangularAssignmentUsesEachColumnOnce) {
  // Two rows, three columns: the cheapest disjoint pair is (0 -> 2, 1 -> 0).
  const std::vector<double> cost = {5, 4, 1, 2, 3, 1};
  EXPECT_EQ(solve_assignment(cost, 2, 3), (std::vector<int>{2, 0}));
  EXPECT_THROW(solve_assignment(cost, 3, 2), std::invalid_argument);
  EXPECT_THROW(solve_assignment({1, 2, 3}, 2, 2), std::invalid_argument);
}

TEST(SkillAlignment, RecoversAKnownPermutation) {
  // A [orders=2, tasks=6, skills=5] routing; the other run learnt the same skills
  // in a shuffled order plus a little noise.
  std::mt19937 generator(11);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::normal_distribution<float> noise(0.0f, 0.02f);
  RoutingMatrix reference;
  reference.layer = "encoder.block.0.layer.0.SelfAttention.q";
  reference.kind = RoutingKind::kOrders;
  reference.shape = {2, 6, 5};
  reference.values.resize(60);
  for (float& value : reference.values) value = uniform(generator);
  const std::vector<int> permutation = {3, 0, 4, 1, 2};  // other skill p[s] = reference skill s
  RoutingMatrix other = reference;
  for (int64_t block = 0; block < 2; ++block) {
    for (int64_t task = 0; task < 6; ++task) {
      for (int64_t skill = 0; skill < 5; ++skill) {
        other.values[static_cast<size_t>((block * 6 + task) * 5 +
                                         permutation[static_cast<size_t>(skill)])] =
            reference.at(block, task, skill) + noise(generator);
      }
    }
  }
  const SkillAlignment alignment = align_skills(reference, other);
  ASSERT_TRUE(alignment.aligned);
  EXPECT_EQ(alignment.other_skill, permutation);
  EXPECT_GT(alignment.total_similarity, 4.9);

  // Reordering the other run by the alignment brings back the reference.
  const RoutingMatrix realigned = reorder_skills(other, alignment.other_skill);
  ASSERT_EQ(realigned.shape, reference.shape);
  for (size_t i = 0; i < reference.values.size(); ++i) {
    EXPECT_NEAR(realigned.values[i], reference.values[i], 0.1f);
  }
}

TEST(SkillAlignment, IncomparableMatricesKeepTheRawOrder) {
  RoutingMatrix a;
  a.shape = {3, 2};
  a.values = {1, 0, 0, 1, 1, 0};
  RoutingMatrix b;
  b.shape = {4, 2};
  b.values = std::vector<float>(8, 0.5f);
  const SkillAlignment alignment = align_skills(a, b);
  EXPECT_FALSE(alignment.aligned);
  EXPECT_EQ(alignment.other_skill, (std::vector<int>{0, 1}));
}

TEST(SkillAlignment, MoreSkillsInTheOtherRunAreAppended) {
  RoutingMatrix reference;
  reference.shape = {2, 2};
  reference.values = {1, 0, 0, 1};
  RoutingMatrix other;
  other.shape = {2, 3};
  other.values = {0.2f, 0, 1, 0.2f, 1, 0};
  const SkillAlignment alignment = align_skills(reference, other);
  ASSERT_TRUE(alignment.aligned);
  EXPECT_EQ(alignment.other_skill, (std::vector<int>{2, 1}));
  const RoutingMatrix realigned = reorder_skills(other, alignment.other_skill);
  EXPECT_EQ(realigned.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(realigned.values, (std::vector<float>{1, 0, 0.2f, 0, 1, 0.2f}));
}

// Routing of a suite: each task routes mostly to one skill (its "own"), and the
// other run learnt the same skills under a permutation. Tasks are given by name so
// that the other run can list them in another order.
RoutingMatrix suite_routing(const std::vector<std::string>& task_names,
                            const std::map<std::string, int>& skill_of_task,
                            const std::vector<int>& permutation) {
  const auto n_skills = static_cast<int64_t>(permutation.size());
  RoutingMatrix matrix;
  matrix.layer = "encoder.block.0.layer.0.SelfAttention.q";
  matrix.kind = RoutingKind::kSkills;
  matrix.shape = {static_cast<int64_t>(task_names.size()), n_skills};
  matrix.values.assign(static_cast<size_t>(matrix.shape[0] * n_skills), 0.05f);
  for (size_t task = 0; task < task_names.size(); ++task) {
    const int skill = permutation[static_cast<size_t>(skill_of_task.at(task_names[task]))];
    matrix.values[task * static_cast<size_t>(n_skills) + static_cast<size_t>(skill)] = 0.85f;
  }
  return matrix;
}

TEST(SkillAlignment, MatchesTasksByNameInTheReferenceOrder) {
  EXPECT_EQ(match_tasks_by_name({"a", "b", "c", "d"}, {"c", "x", "a"}),
            (std::vector<TaskPair>{{0, 2}, {2, 0}}));
  EXPECT_TRUE(match_tasks_by_name({"a", "b"}, {"x", "y"}).empty());
  // A repeated name is matched occurrence by occurrence.
  EXPECT_EQ(match_tasks_by_name({"a", "a", "b"}, {"a", "b", "a"}),
            (std::vector<TaskPair>{{0, 0}, {1, 2}, {2, 1}}));
}

TEST(SkillAlignment, ReorderedSuitesAreAlignedOnTheTasksMatchedByName) {
  const std::map<std::string, int> skill_of_task = {
      {"copy", 0}, {"reverse", 1}, {"upper", 2}, {"shift", 3}};
  const std::vector<std::string> reference_tasks = {"copy", "reverse", "upper", "shift"};
  // Same suite, listed in another order; skill p[s] of the other run is skill s.
  const std::vector<std::string> other_tasks = {"shift", "upper", "copy", "reverse"};
  const std::vector<int> permutation = {2, 0, 3, 1};
  const RoutingMatrix reference = suite_routing(reference_tasks, skill_of_task, {0, 1, 2, 3});
  const RoutingMatrix other = suite_routing(other_tasks, skill_of_task, permutation);

  const SkillAlignment by_name =
      align_skills(reference, other, match_tasks_by_name(reference_tasks, other_tasks));
  ASSERT_TRUE(by_name.aligned) << by_name.reason;
  EXPECT_EQ(by_name.matched_tasks, 4);
  EXPECT_EQ(by_name.other_skill, permutation);
  EXPECT_NEAR(by_name.total_similarity, 4.0, 1e-6);
  // Pairing by index compares unrelated tasks and does not recover the permutation.
  const SkillAlignment by_index = align_skills(reference, other);
  EXPECT_NE(by_index.other_skill, permutation);

  // Only partly the same suite: aligned on the tasks both runs have.
  const std::vector<std::string> partial_tasks = {"upper", "extra", "copy", "reverse"};
  std::map<std::string, int> partial_skills = skill_of_task;
  partial_skills["extra"] = 3;
  const RoutingMatrix partial = suite_routing(partial_tasks, partial_skills, permutation);
  const SkillAlignment on_overlap =
      align_skills(reference, partial, match_tasks_by_name(reference_tasks, partial_tasks));
  ASSERT_TRUE(on_overlap.aligned) << on_overlap.reason;
  EXPECT_EQ(on_overlap.matched_tasks, 3);
  EXPECT_EQ(std::vector<int>(on_overlap.other_skill.begin(), on_overlap.other_skill.begin() + 3),
            std::vector<int>(permutation.begin(), permutation.begin() + 3));
}

TEST(SkillAlignment, NoTaskInCommonKeepsTheRawOrderAndSaysWhy) {
  const RoutingMatrix reference = suite_routing({"a", "b"}, {{"a", 0}, {"b", 1}}, {0, 1});
  const RoutingMatrix other = suite_routing({"x", "y"}, {{"x", 1}, {"y", 0}}, {0, 1});
  const SkillAlignment alignment =
      align_skills(reference, other, match_tasks_by_name({"a", "b"}, {"x", "y"}));
  EXPECT_FALSE(alignment.aligned);
  EXPECT_EQ(alignment.matched_tasks, 0);
  EXPECT_EQ(alignment.other_skill, (std::vector<int>{0, 1}));
  EXPECT_NE(alignment.reason.find("no task in common"), std::string::npos) << alignment.reason;
}

}  // namespace
}  // namespace tensorpoly::analysis
