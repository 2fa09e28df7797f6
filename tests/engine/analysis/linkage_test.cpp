// Linkage, dendrogram order and flat clusters on cases worked out by hand,
// including ties, which must be resolved as SciPy resolves them.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>

#include "tensorpoly/analysis.h"

namespace ta = tensorpoly::analysis;

namespace {

// Four points on a line, at 0, 1, 3 and 7.
ta::Matrix line_points() {
  ta::Matrix points(4, 1);
  points.values = {0, 1, 3, 7};
  return points;
}

void expect_merges(const std::vector<ta::Merge>& actual, const std::vector<ta::Merge>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t row = 0; row < actual.size(); ++row) {
    EXPECT_EQ(actual[row].left, expected[row].left) << "row " << row;
    EXPECT_EQ(actual[row].right, expected[row].right) << "row " << row;
    EXPECT_NEAR(actual[row].distance, expected[row].distance, 1e-12) << "row " << row;
    EXPECT_EQ(actual[row].size, expected[row].size) << "row " << row;
  }
}

TEST(Linkage, SingleOnALine) {
  const auto merges = ta::linkage(line_points(), ta::Linkage::kSingle, ta::Distance::kEuclidean);
  expect_merges(merges, {{0, 1, 1, 2}, {2, 4, 2, 3}, {3, 5, 4, 4}});
  EXPECT_EQ(ta::leaf_order(merges), (std::vector<int64_t>{3, 2, 0, 1}));
}

TEST(Linkage, CompleteOnALine) {
  expect_merges(ta::linkage(line_points(), ta::Linkage::kComplete, ta::Distance::kEuclidean),
                {{0, 1, 1, 2}, {2, 4, 3, 3}, {3, 5, 7, 4}});
}

TEST(Linkage, AverageOnALine) {
  // {0,1} to 2: (3 + 2) / 2; {0,1,2} to 3: (7 + 6 + 4) / 3.
  expect_merges(ta::linkage(line_points(), ta::Linkage::kAverage, ta::Distance::kEuclidean),
                {{0, 1, 1, 2}, {2, 4, 2.5, 3}, {3, 5, 17.0 / 3.0, 4}});
}

TEST(Linkage, WardOnALine) {
  // Ward distance sqrt(2 |A||B| / (|A|+|B|)) * |centroid A - centroid B|.
  expect_merges(ta::linkage(line_points(), ta::Linkage::kWard, ta::Distance::kEuclidean),
                {{0, 1, 1, 2},
                 {2, 4, std::sqrt(2.0 * 2 * 1 / 3) * 2.5, 3},
                 {3, 5, std::sqrt(2.0 * 3 * 1 / 4) * (7 - 4.0 / 3), 4}});
  EXPECT_THROW(ta::linkage(line_points(), ta::Linkage::kWard, ta::Distance::kCosine),
               std::invalid_argument);
}

// Corners of a unit square, 0 (0,0), 1 (1,0), 2 (1,1), 3 (0,1): four sides tie at 1.
ta::Matrix square() {
  ta::Matrix points(4, 2);
  points.values = {0, 0, 1, 0, 1, 1, 0, 1};
  return points;
}

TEST(Linkage, TiesFollowSciPy) {
  // Prim's tree from 0 takes 0-1 (first of the ties), then 1-2, then 2-3.
  const auto single = ta::linkage(square(), ta::Linkage::kSingle, ta::Distance::kEuclidean);
  expect_merges(single, {{0, 1, 1, 2}, {2, 4, 1, 3}, {3, 5, 1, 4}});
  EXPECT_EQ(ta::leaf_order(single), (std::vector<int64_t>{3, 2, 0, 1}));
  // The nearest-neighbour chain from 0 stops at 0-1, then from 2 at 2-3.
  const auto complete = ta::linkage(square(), ta::Linkage::kComplete, ta::Distance::kEuclidean);
  expect_merges(complete, {{0, 1, 1, 2}, {2, 3, 1, 2}, {4, 5, std::sqrt(2.0), 4}});
  EXPECT_EQ(ta::leaf_order(complete), (std::vector<int64_t>{0, 1, 2, 3}));
}

TEST(Linkage, ChecksItsInput) {
  EXPECT_THROW(ta::linkage(std::vector<double>{1.0, 2.0}, 3, ta::Linkage::kAverage),
               std::invalid_argument);
  EXPECT_THROW(ta::linkage(std::vector<double>{1.0, NAN, 2.0}, 3, ta::Linkage::kAverage),
               std::invalid_argument);
  EXPECT_TRUE(ta::linkage(std::vector<double>{}, 1, ta::Linkage::kAverage).empty());
  EXPECT_EQ(ta::leaf_order({}), std::vector<int64_t>{0});
  EXPECT_THROW(ta::leaf_order({{0, 5, 1.0, 2}}), std::invalid_argument);
}

TEST(FlatClusters, CutIntoAtMostKClusters) {
  const auto merges = ta::linkage(line_points(), ta::Linkage::kSingle, ta::Distance::kEuclidean);
  // Labels numbered as fcluster numbers them: depth first from the root, left first.
  EXPECT_EQ(ta::cut_into_clusters(merges, 1), (std::vector<int>{1, 1, 1, 1}));
  EXPECT_EQ(ta::cut_into_clusters(merges, 2), (std::vector<int>{1, 1, 1, 2}));
  EXPECT_EQ(ta::cut_into_clusters(merges, 3), (std::vector<int>{1, 1, 2, 3}));
  EXPECT_EQ(ta::cut_into_clusters(merges, 4), (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(ta::cut_into_clusters(merges, 9), (std::vector<int>{1, 2, 3, 4}));
  EXPECT_THROW(ta::cut_into_clusters(merges, 0), std::invalid_argument);
  // With all merges at the same height no cut gives 2 or 3 clusters: SciPy gives one.
  const auto tied = ta::linkage(square(), ta::Linkage::kSingle, ta::Distance::kEuclidean);
  EXPECT_EQ(ta::cut_into_clusters(tied, 3), (std::vector<int>{1, 1, 1, 1}));
}

TEST(FlatClusters, CutAtDistanceKeepsMergesAtOrBelowThreshold) {
  const auto merges = ta::linkage(line_points(), ta::Linkage::kSingle, ta::Distance::kEuclidean);
  EXPECT_EQ(ta::cut_at_distance(merges, 0.5), (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(ta::cut_at_distance(merges, 1.0), (std::vector<int>{1, 1, 2, 3}));  // <= threshold
  EXPECT_EQ(ta::cut_at_distance(merges, 1.5), (std::vector<int>{1, 1, 2, 3}));
  EXPECT_EQ(ta::cut_at_distance(merges, 2.0), (std::vector<int>{1, 1, 1, 2}));
  EXPECT_EQ(ta::cut_at_distance(merges, 100), (std::vector<int>{1, 1, 1, 1}));
}

// Average linkage by brute force (rescan for the closest pair after every
// merge, clusters' distances as means over member pairs) agrees with the
// nearest-neighbour chain on random data without ties.
TEST(Linkage, AverageAgreesWithBruteForce) {
  std::mt19937_64 random(11);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const int64_t n = 30;
  ta::Matrix points(n, 3);
  for (double& value : points.values) value = uniform(random);
  const auto distances = ta::pairwise_distances(points, ta::Distance::kEuclidean);
  auto d = [&](int64_t i, int64_t j) {
    if (i > j) std::swap(i, j);
    return distances[static_cast<size_t>(n * i - i * (i + 1) / 2 + (j - i - 1))];
  };
  std::vector<std::vector<int64_t>> members(static_cast<size_t>(n));
  std::vector<int64_t> alive;
  for (int64_t i = 0; i < n; ++i) {
    members[static_cast<size_t>(i)] = {i};
    alive.push_back(i);
  }
  const auto merges = ta::linkage(distances, n, ta::Linkage::kAverage);
  for (int64_t row = 0; row < n - 1; ++row) {
    double best = INFINITY;
    size_t best_a = 0, best_b = 0;
    for (size_t a = 0; a < alive.size(); ++a) {
      for (size_t b = a + 1; b < alive.size(); ++b) {
        double sum = 0;
        for (int64_t x : members[static_cast<size_t>(alive[a])]) {
          for (int64_t y : members[static_cast<size_t>(alive[b])]) sum += d(x, y);
        }
        const double mean =
            sum / static_cast<double>(members[static_cast<size_t>(alive[a])].size() *
                                      members[static_cast<size_t>(alive[b])].size());
        if (mean < best) best = mean, best_a = a, best_b = b;
      }
    }
    const ta::Merge& merge = merges[static_cast<size_t>(row)];
    EXPECT_EQ(std::min(alive[best_a], alive[best_b]), merge.left) << "row " << row;
    EXPECT_EQ(std::max(alive[best_a], alive[best_b]), merge.right) << "row " << row;
    EXPECT_NEAR(merge.distance, best, 1e-12) << "row " << row;
    std::vector<int64_t> joined = members[static_cast<size_t>(alive[best_a])];
    for (int64_t y : members[static_cast<size_t>(alive[best_b])]) joined.push_back(y);
    members.push_back(joined);
    EXPECT_EQ(merge.size, static_cast<int64_t>(joined.size()));
    alive.erase(alive.begin() + static_cast<std::ptrdiff_t>(best_b));
    alive.erase(alive.begin() + static_cast<std::ptrdiff_t>(best_a));
    alive.push_back(n + row);
  }
}

}  // namespace
