// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/skill_alignment.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

namespace tensorpoly::ui {
namespace {

// Brute force over every permutation: the reference the Hungarian method must match.
double best_cost_by_brute_force(const std::vector<double>& cost, int n) {
  std::vector<int> permutation(static_cast<size_t>(n));
  std::iota(permutation.begin(), permutation.end(), 0);
  double best = 1e300;
  do {
    double total = 0.0;
    for (int row = 0; row < n; ++row) total += cost[static_cast<size_t>(row * n + permutation[static_cast<size_t>(row)])];
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
      for (int i = 0; i < n; ++i) ASSERT_EQ(sorted[static_cast<size_t>(i)], i) << "not a permutation";
      double total = 0.0;
      for (int row = 0; row < n; ++row) total += cost[static_cast<size_t>(row * n + assignment[static_cast<size_t>(row)])];
      EXPECT_NEAR(total, best_cost_by_brute_force(cost, n), 1e-9) << "n = " << n;
    }
  }
}

TEST(SkillAlignment, RectangularAssignmentUsesEachColumnOnce) {
  // Two rows, three columns: the cheapest disjoint pair is (0 -> 2, 1 -> 0).
  const std::vector<double> cost = {5, 4, 1,
                                    2, 3, 1};
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
        other.values[static_cast<size_t>((block * 6 + task) * 5 + permutation[static_cast<size_t>(skill)])] =
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
  reference.values = {1, 0,
                      0, 1};
  RoutingMatrix other;
  other.shape = {2, 3};
  other.values = {0.2f, 0, 1,
                  0.2f, 1, 0};
  const SkillAlignment alignment = align_skills(reference, other);
  ASSERT_TRUE(alignment.aligned);
  EXPECT_EQ(alignment.other_skill, (std::vector<int>{2, 1}));
  const RoutingMatrix realigned = reorder_skills(other, alignment.other_skill);
  EXPECT_EQ(realigned.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(realigned.values, (std::vector<float>{1, 0, 0.2f, 0, 1, 0.2f}));
}

}  // namespace
}  // namespace tensorpoly::ui
