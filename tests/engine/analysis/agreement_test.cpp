// Adjusted Rand index, normalized mutual information, Spearman and Jaccard on
// small cases with known values (scikit-learn and SciPy documentation examples).
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

}  // namespace
