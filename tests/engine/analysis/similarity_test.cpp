// Similarity matrices, condensed distances, routing entropy and skill usage,
// on cases small enough to check by hand.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>

#include "tensorpoly/analysis.h"

namespace ta = tensorpoly::analysis;
using tensorpoly::RoutingKind;
using tensorpoly::RoutingMatrix;

namespace {

ta::Matrix matrix(int64_t rows, int64_t cols, std::vector<double> values) {
  ta::Matrix result(rows, cols);
  result.values = std::move(values);
  return result;
}

TEST(Similarity, CosineOfSimpleVectors) {
  // [1,0], [0,1], [1,1], [2,0]
  const ta::Matrix vectors = matrix(4, 2, {1, 0, 0, 1, 1, 1, 2, 0});
  const ta::Matrix similarity = ta::similarity_matrix(vectors);
  EXPECT_EQ(similarity.at(0, 0), 1.0);
  EXPECT_EQ(similarity.at(0, 1), 0.0);
  EXPECT_NEAR(similarity.at(0, 2), 1 / std::sqrt(2.0), 1e-15);
  EXPECT_NEAR(similarity.at(2, 1), 1 / std::sqrt(2.0), 1e-15);
  EXPECT_EQ(similarity.at(0, 3), 1.0);  // same direction, different length
  // Condensed order: (0,1) (0,2) (0,3) (1,2) (1,3) (2,3).
  const std::vector<double> distances = ta::pairwise_distances(vectors, ta::Distance::kCosine);
  ASSERT_EQ(distances.size(), 6u);
  EXPECT_EQ(distances[0], 1.0);
  EXPECT_NEAR(distances[1], 1 - 1 / std::sqrt(2.0), 1e-15);
  EXPECT_EQ(distances[2], 0.0);
  EXPECT_EQ(distances[4], 1.0);
  EXPECT_EQ(ta::distances_from_similarity(similarity), distances);
}

TEST(Similarity, PearsonAndCorrelationDistance) {
  // Rows: an increasing ramp, the same ramp scaled and shifted, its reverse, a bump.
  const ta::Matrix vectors = matrix(4, 3, {1, 2, 3, 10, 20, 30, 3, 2, 1, 0, 1, 0});
  const ta::Matrix pearson = ta::similarity_matrix(vectors, ta::Similarity::kPearson);
  EXPECT_NEAR(pearson.at(0, 1), 1.0, 1e-15);
  EXPECT_NEAR(pearson.at(0, 2), -1.0, 1e-15);
  EXPECT_NEAR(pearson.at(0, 3), 0.0, 1e-15);
  const std::vector<double> distances = ta::pairwise_distances(vectors, ta::Distance::kCorrelation);
  EXPECT_NEAR(distances[1], 2.0, 1e-15);  // (0,2): anti-correlated
  EXPECT_EQ(ta::distances_from_similarity(pearson), distances);
}

TEST(Similarity, EuclideanDistance) {
  const ta::Matrix vectors = matrix(3, 2, {0, 0, 3, 4, 6, 8});
  EXPECT_EQ(ta::pairwise_distances(vectors, ta::Distance::kEuclidean),
            (std::vector<double>{5, 10, 5}));
}

TEST(Similarity, UndefinedCosineIsAnError) {
  EXPECT_THROW(ta::similarity_matrix(matrix(2, 2, {0, 0, 1, 1})), std::invalid_argument);
  // A uniform routing vector has no correlation with anything.
  EXPECT_THROW(ta::pairwise_distances(matrix(2, 3, {0.2, 0.2, 0.2, 0.1, 0.3, 0.6}),
                                      ta::Distance::kCorrelation),
               std::invalid_argument);
  EXPECT_THROW(ta::pairwise_distances(matrix(2, 1, {NAN, 1}), ta::Distance::kEuclidean),
               std::invalid_argument);
}

// The blocked, threaded kernel against the plain loops SciPy runs, bit for bit,
// with sizes that leave partial panels and an odd number of dimensions.
TEST(Similarity, BlockedKernelEqualsPlainLoops) {
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const int64_t n = 37;
  const int64_t dims = 29;
  ta::Matrix vectors(n, dims);
  for (double& value : vectors.values) value = uniform(random);
  auto dot = [&](int64_t i, int64_t j) {  // two interleaved partial sums
    double even = 0, odd = 0;
    int64_t k = 0;
    for (; k + 2 <= dims; k += 2) {
      even += vectors.at(i, k) * vectors.at(j, k);
      odd += vectors.at(i, k + 1) * vectors.at(j, k + 1);
    }
    double sum = even + odd;
    for (; k < dims; ++k) sum += vectors.at(i, k) * vectors.at(j, k);
    return sum;
  };
  for (int threads : {1, 2, 3}) {
    const auto cosine = ta::pairwise_distances(vectors, ta::Distance::kCosine, threads);
    const auto euclidean = ta::pairwise_distances(vectors, ta::Distance::kEuclidean, threads);
    size_t index = 0;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = i + 1; j < n; ++j, ++index) {
        const double expected_cosine =
            1.0 - dot(i, j) / (std::sqrt(dot(i, i)) * std::sqrt(dot(j, j)));
        double squares = 0;
        for (int64_t k = 0; k < dims; ++k) {
          const double diff = vectors.at(i, k) - vectors.at(j, k);
          squares += diff * diff;
        }
        ASSERT_EQ(cosine[index], expected_cosine) << i << ", " << j << ", threads " << threads;
        ASSERT_EQ(euclidean[index], std::sqrt(squares)) << i << ", " << j;
      }
    }
  }
}

RoutingMatrix routing_layer(const std::string& name, RoutingKind kind, std::vector<int64_t> shape,
                            std::vector<float> values) {
  RoutingMatrix result;
  result.layer = name;
  result.kind = kind;
  result.shape = std::move(shape);
  result.values = std::move(values);
  return result;
}

TEST(RoutingEntropy, UniformIsLogSkillsAndOneHotIsZero) {
  const std::vector<RoutingMatrix> routing = {
      routing_layer("encoder.a", RoutingKind::kSkills, {2, 4},
                    {0.25f, 0.25f, 0.25f, 0.25f,  // task 0: uniform
                     0, 1, 0, 0}),                // task 1: one skill
      // Two orders; task 0 uniform then one-hot, task 1 unnormalised [2, 2] = uniform.
      routing_layer("decoder.b", RoutingKind::kOrders, {2, 2, 2}, {0.5f, 0.5f, 2, 2, 1, 0, 2, 2}),
  };
  const ta::RoutingEntropy entropy = ta::routing_entropy(routing);
  ASSERT_EQ(entropy.layers.size(), 2u);
  EXPECT_NEAR(entropy.per_layer_task.at(0, 0), std::log(4.0), 1e-12);
  EXPECT_EQ(entropy.per_layer_task.at(0, 1), 0.0);
  EXPECT_NEAR(entropy.per_layer_task.at(1, 0), 0.5 * std::log(2.0), 1e-12);  // mean over orders
  EXPECT_NEAR(entropy.per_layer_task.at(1, 1), std::log(2.0), 1e-12);
  EXPECT_NEAR(entropy.per_task[0], 0.5 * (std::log(4.0) + 0.5 * std::log(2.0)), 1e-12);
  EXPECT_NEAR(entropy.per_layer[0], 0.5 * std::log(4.0), 1e-12);

  ta::LayerSelection decoder;
  decoder.scope = ta::LayerScope::kDecoder;
  EXPECT_EQ(ta::routing_entropy(routing, decoder).layers, std::vector<std::string>{"decoder.b"});
}

TEST(SkillUsage, SumsWeightOverTasksAndBlocks) {
  const std::vector<RoutingMatrix> routing = {
      routing_layer("l0", RoutingKind::kSkills, {2, 3}, {0.5f, 0.5f, 0, 0.25f, 0.25f, 0.5f}),
      routing_layer("l1", RoutingKind::kSplits, {2, 2, 2}, {1, 0, 0, 1, 0.5f, 0.5f, 1, 0}),
  };
  const ta::SkillUsage usage = ta::skill_usage(routing);
  ASSERT_EQ(usage.per_layer_skill.rows, 2);
  ASSERT_EQ(usage.per_layer_skill.cols, 3);  // the widest layer
  EXPECT_EQ(usage.per_layer_skill.at(0, 0), 0.75);
  EXPECT_EQ(usage.per_layer_skill.at(0, 1), 0.75);
  EXPECT_EQ(usage.per_layer_skill.at(0, 2), 0.5);
  EXPECT_EQ(usage.per_layer_skill.at(1, 0), 2.5);
  EXPECT_EQ(usage.per_layer_skill.at(1, 1), 1.5);
  EXPECT_EQ(usage.per_layer_skill.at(1, 2), 0.0);
}

}  // namespace
