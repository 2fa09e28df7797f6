// Adjusted Rand index, normalized mutual information, Spearman and Jaccard on
// small cases with known values (scikit-learn and SciPy documentation examples), and the
// permutation p-value of the Spearman correlation on cases whose exact value is known.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "tensorpoly/analysis.h"

namespace ta = tensorpoly::analysis;

namespace {

TEST(AdjustedRandIndex, KnownValues) {
  EXPECT_EQ(ta::adjusted_rand_index({0, 0, 1, 1}, {1, 1, 0, 0}), 1.0);  // relabelled
  EXPECT_NEAR(ta::adjusted_rand_index({0, 0, 1, 1}, {0, 0, 1, 2}), 4.0 / 7.0, 1e-15);
  EXPECT_NEAR(ta::adjusted_rand_index({0, 0, 1, 2}, {0, 0, 1, 1}), 4.0 / 7.0, 1e-15);
  EXPECT_EQ(ta::adjusted_rand_index({0, 0, 0, 0}, {0, 1, 2, 3}), 0.0);
  EXPECT_EQ(ta::adjusted_rand_index({0, 1, 2}, {5, 6, 7}), 1.0);  // all singletons
  // Worse than chance is negative: -0.5 for a perfectly crossed 2 x 2 design.
  EXPECT_NEAR(ta::adjusted_rand_index({0, 0, 1, 1}, {0, 1, 0, 1}), -0.5, 1e-15);
  EXPECT_THROW(ta::adjusted_rand_index({0, 1}, {0}), std::invalid_argument);
}

TEST(NormalizedMutualInformation, KnownValues) {
  EXPECT_EQ(ta::normalized_mutual_information({0, 0, 1, 1}, {1, 1, 0, 0}), 1.0);
  EXPECT_EQ(ta::normalized_mutual_information({0, 0, 1, 1}, {0, 0, 0, 0}), 0.0);
  EXPECT_EQ(ta::normalized_mutual_information({3, 3, 3}, {1, 1, 1}), 1.0);
  // Splitting one class in two: MI = ln 2, entropies ln 2 and 1.5 ln 2, so 1 / 1.25.
  EXPECT_NEAR(ta::normalized_mutual_information({0, 0, 1, 1}, {0, 0, 1, 2}), 0.8, 1e-15);
  EXPECT_EQ(ta::normalized_mutual_information({0, 0, 1, 1}, {0, 1, 0, 1}), 0.0);
}

TEST(Spearman, AverageRanksForTies) {
  // scipy.stats.spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]).statistic
  EXPECT_NEAR(ta::spearman_correlation({1, 2, 3, 4, 5}, {5, 6, 7, 8, 7}), 0.8207826816681233,
              1e-15);
  EXPECT_NEAR(ta::spearman_correlation({1, 2, 3}, {30, 20, 10}), -1.0, 1e-15);
  EXPECT_TRUE(std::isnan(ta::spearman_correlation({1, 2, 3}, {4, 4, 4})));
  EXPECT_THROW(ta::spearman_correlation({1, 2}, {1}), std::invalid_argument);
}

TEST(Jaccard, OverlapOfSkillSets) {
  EXPECT_EQ(ta::jaccard_overlap({1, 2, 3}, {2, 3, 4}), 0.5);
  EXPECT_EQ(ta::jaccard_overlap({3, 1, 1}, {1, 3}), 1.0);  // order and duplicates ignored
  EXPECT_EQ(ta::jaccard_overlap({1}, {2}), 0.0);
  EXPECT_EQ(ta::jaccard_overlap({}, {}), 1.0);
}

TEST(SimilarityVsSkillOverlap, RanksPairsAboveTheDiagonal) {
  // Pairs (0,1) (0,2) (1,2): similarities 0.9, 0.1, 0.5 (ranks 3, 1, 2); overlaps 1/3, 2/3,
  // 2/3 (ranks 1, 2.5, 2.5); Pearson of the ranks -1.5 / sqrt(2 * 1.5).
  ta::Matrix similarity(3, 3, 1.0);
  similarity.at(0, 1) = similarity.at(1, 0) = 0.9;
  similarity.at(0, 2) = similarity.at(2, 0) = 0.1;
  similarity.at(1, 2) = similarity.at(2, 1) = 0.5;
  const std::vector<std::vector<int>> skills = {{0, 1}, {1, 2}, {0, 1, 2}};
  EXPECT_NEAR(ta::similarity_vs_skill_overlap(similarity, skills), -std::sqrt(3.0) / 2, 1e-15);
  EXPECT_THROW(ta::similarity_vs_skill_overlap(similarity, {{0}, {1}}), std::invalid_argument);
}

// Three tasks: A = {x}, B = {x, y}, C = {z}. Only the pair holding B's and A's sets
// overlaps (1/2); the routing makes A-B the most similar pair. Of the 3! assignments of
// the sets to the tasks, each pair holds the overlapping sets twice, and only with A-B is
// the correlation as high as observed: the exact p-value is 1/3.
TEST(SkillOverlapPValue, MatchesTheExactPermutationDistribution) {
  ta::Matrix similarity(3, 3, 1.0);
  similarity.at(0, 1) = similarity.at(1, 0) = 0.9;
  similarity.at(0, 2) = similarity.at(2, 0) = 0.1;
  similarity.at(1, 2) = similarity.at(2, 1) = 0.2;
  const std::vector<std::vector<int>> skills = {{0}, {0, 1}, {2}};
  const double p = ta::skill_overlap_p_value(similarity, skills, 3000, 0);
  // 1000 of 3000 shuffles expected; the binomial sd is 26 shuffles, 0.009.
  EXPECT_NEAR(p, 1.0 / 3.0, 0.03);
  // Seeded: the same seed gives the same value, another seed (almost surely) another.
  EXPECT_EQ(p, ta::skill_overlap_p_value(similarity, skills, 3000, 0));
  EXPECT_NE(p, ta::skill_overlap_p_value(similarity, skills, 3000, 1));
  EXPECT_THROW(ta::skill_overlap_p_value(similarity, skills, 0, 0), std::invalid_argument);
}

// Twelve tasks in four groups of three sharing a skill; routing similarity high exactly
// within groups. Among 12! assignments few keep the groups: p is at (or next to) its
// floor 1/1001.
TEST(SkillOverlapPValue, PlantedStructureIsSignificantNoStructureIsNot) {
  const int n = 12;
  ta::Matrix planted(n, n, 1.0), unrelated(n, n, 1.0);
  std::vector<std::vector<int>> skills;
  for (int i = 0; i < n; ++i) skills.push_back({i / 3, 10 + i});
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      if (i == j) continue;
      planted.at(i, j) = (i / 3 == j / 3 ? 0.9 : 0.1) + 0.001 * (i + j);
      // Similar within groups of a different grouping (i mod 4), unrelated to the skills.
      unrelated.at(i, j) = (i % 4 == j % 4 ? 0.9 : 0.1) + 0.001 * (i + j);
    }
  }
  EXPECT_GT(ta::similarity_vs_skill_overlap(planted, skills), 0.5);
  // Only a shuffle that maps groups onto groups (6.5e-5 of them) ties the observed value.
  EXPECT_LE(ta::skill_overlap_p_value(planted, skills, 1000, 7), 2.0 / 1001.0);
  EXPECT_GT(ta::skill_overlap_p_value(unrelated, skills, 1000, 7), 0.2);
}

}  // namespace
