// Flags for collapsed skills and near-uniform tasks (what the routing heatmap
// warns about): the thresholds, the blocks they look at, and bad input.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "tensorpoly/analysis.h"

namespace ta = tensorpoly::analysis;
using tensorpoly::RoutingKind;
using tensorpoly::RoutingMatrix;

namespace {

ta::RoutingWeights weights(int64_t blocks, int64_t tasks, int64_t skills,
                           std::vector<double> values) {
  ta::RoutingWeights result;
  result.n_blocks = blocks;
  result.n_tasks = tasks;
  result.n_skills = skills;
  result.values = std::move(values);
  return result;
}

RoutingMatrix skills_matrix(int64_t tasks, int64_t skills, std::vector<float> values) {
  RoutingMatrix matrix;
  matrix.layer = "encoder.block.0.layer.0.SelfAttention.q";
  matrix.kind = RoutingKind::kSkills;
  matrix.shape = {tasks, skills};
  matrix.values = std::move(values);
  return matrix;
}

std::string error_of(const ta::RoutingWeights& routing, int64_t block) {
  try {
    ta::routing_flags(routing, block);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return {};
}

TEST(RoutingFlags, ThresholdsAreAQuarterOfUniformAndNinetyEightPercentEntropy) {
  EXPECT_EQ(ta::kCollapsedSkillShare, 0.25);
  EXPECT_EQ(ta::kUniformEntropyRatio, 0.98);
}

TEST(RoutingFlags, FlagsAUniformTaskAndNoSkillWhileItUsesEverySkill) {
  // Two families on skills 0/1 and 2, and task 3 routing uniformly (the heatmap's example).
  const RoutingMatrix routing = skills_matrix(4, 4,
                                              {0.70f, 0.25f, 0.04f, 0.01f,    // a1
                                               0.05f, 0.10f, 0.83f, 0.02f,    // b1
                                               0.60f, 0.35f, 0.04f, 0.01f,    // a2
                                               0.25f, 0.25f, 0.25f, 0.25f});  // b2
  const ta::RoutingFlags flags = ta::routing_flags(routing);
  EXPECT_TRUE(flags.collapsed_skills.empty());  // skill 3 gets 0.25 from b2
  EXPECT_EQ(flags.uniform_tasks, std::vector<int>{3});

  RoutingMatrix peaked = routing;
  for (int skill = 0; skill < 4; ++skill)
    peaked.values[12 + static_cast<size_t>(skill)] = skill == 0 ? 0.9f : 0.1f / 3;
  const ta::RoutingFlags without_uniform = ta::routing_flags(peaked);
  EXPECT_EQ(without_uniform.collapsed_skills, std::vector<int>{3});  // at most 0.033 < 0.0625
  EXPECT_TRUE(without_uniform.uniform_tasks.empty());
}

TEST(RoutingFlags, ASkillAtExactlyAQuarterOfUniformIsUsed) {
  // Shares after renormalising: 1/16 = 0.25 * 1/4 exactly (used), 1/17 just below.
  EXPECT_TRUE(ta::routing_flags(weights(1, 1, 4, {1, 5, 5, 5})).collapsed_skills.empty());
  EXPECT_EQ(ta::routing_flags(weights(1, 1, 4, {1, 6, 5, 5})).collapsed_skills,
            std::vector<int>{0});
  // The share counts, not the raw weight: 0.5 of a row summing to 8 is 1/16.
  EXPECT_TRUE(ta::routing_flags(weights(1, 1, 4, {0.5, 2.5, 2.5, 2.5})).collapsed_skills.empty());
}

TEST(RoutingFlags, NearUniformMeansEntropyAtLeastNinetyEightPercentOfLogSkills) {
  // Two skills: H(0.42, 0.58) / log 2 = 0.9815, H(0.40, 0.60) / log 2 = 0.9710.
  const ta::RoutingWeights routing = weights(1, 2, 2, {0.42, 0.58, 0.40, 0.60});
  EXPECT_EQ(ta::routing_flags(routing).uniform_tasks, std::vector<int>{0});
  // One skill: nothing is near-uniform, and the skill is used.
  const ta::RoutingFlags single = ta::routing_flags(weights(1, 2, 1, {1.0, 1.0}));
  EXPECT_TRUE(single.uniform_tasks.empty());
  EXPECT_TRUE(single.collapsed_skills.empty());
}

TEST(RoutingFlags, OneBlockOrTheMeanRatioOverAllBlocks) {
  // Two orders, one task, four skills: order 1 uniform, order 2 all on skill 1.
  const ta::RoutingWeights routing =
      weights(2, 1, 4, {0.25, 0.25, 0.25, 0.25, /* order 2 */ 0.0, 1.0, 0.0, 0.0});
  const ta::RoutingFlags first = ta::routing_flags(routing, 0);
  EXPECT_EQ(first.uniform_tasks, std::vector<int>{0});
  EXPECT_TRUE(first.collapsed_skills.empty());
  const ta::RoutingFlags second = ta::routing_flags(routing, 1);
  EXPECT_TRUE(second.uniform_tasks.empty());
  EXPECT_EQ(second.collapsed_skills, (std::vector<int>{0, 2, 3}));
  // Both: the entropy ratio averages to 0.5; a skill used in any block is used.
  const ta::RoutingFlags both = ta::routing_flags(routing);
  EXPECT_TRUE(both.uniform_tasks.empty());
  EXPECT_TRUE(both.collapsed_skills.empty());
}

TEST(RoutingFlags, NegativeAndNaNWeightsCountAsZeroInFlagsAndEntropy) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // {-1, 1, 1, 1} is {0, 1/3, 1/3, 1/3}: skill 0 collapsed, entropy log 3 / log 4 < 0.98.
  const ta::RoutingFlags negative = ta::routing_flags(weights(1, 1, 4, {-1.0, 1.0, 1.0, 1.0}));
  EXPECT_EQ(negative.collapsed_skills, std::vector<int>{0});
  EXPECT_TRUE(negative.uniform_tasks.empty());
  EXPECT_EQ(ta::routing_flags(weights(1, 1, 4, {nan, 1.0, 1.0, 1.0})).collapsed_skills,
            std::vector<int>{0});
  // The entropy the report gives uses the same shares.
  const ta::RoutingEntropy entropy =
      ta::routing_entropy({skills_matrix(2, 4, {-1.0f, 1.0f, 1.0f, 1.0f, 0.0f, 1.0f, 1.0f, 1.0f})});
  EXPECT_NEAR(entropy.per_layer_task.at(0, 0), std::log(3.0), 1e-12);
  EXPECT_EQ(entropy.per_layer_task.at(0, 0), entropy.per_layer_task.at(0, 1));
  // A row with no positive weight uses nothing and has entropy 0.
  const ta::RoutingFlags empty = ta::routing_flags(weights(1, 1, 2, {0.0, -1.0}));
  EXPECT_EQ(empty.collapsed_skills, (std::vector<int>{0, 1}));
  EXPECT_TRUE(empty.uniform_tasks.empty());
}

TEST(RoutingFlags, AMatrixGivesTheFlagsOfItsWeights) {
  const RoutingMatrix routing = skills_matrix(2, 3, {0.5f, 0.5f, 0.0f, 0.3f, 0.3f, 0.4f});
  const ta::RoutingWeights converted = ta::routing_weights(routing);
  EXPECT_EQ(converted.n_blocks, 1);
  EXPECT_EQ(converted.n_tasks, 2);
  EXPECT_EQ(converted.n_skills, 3);
  EXPECT_EQ(converted.at(0, 1, 2), static_cast<double>(0.4f));
  const ta::RoutingFlags flags = ta::routing_flags(routing);
  EXPECT_EQ(flags.uniform_tasks, std::vector<int>{1});
  EXPECT_TRUE(flags.collapsed_skills.empty());
  RoutingMatrix broken = routing;
  broken.values.pop_back();
  EXPECT_THROW(ta::routing_flags(broken), std::invalid_argument);
}

TEST(RoutingFlags, BadShapesAndBlocksAreRefusedWithTheShape) {
  EXPECT_NE(error_of(weights(1, 2, 2, {0.5, 0.5, 0.5}), -1).find("[1, 2, 2] does not fit its 3"),
            std::string::npos);
  EXPECT_NE(error_of(weights(0, 2, 2, {}), -1).find("empty axis"), std::string::npos);
  EXPECT_NE(error_of(weights(1, 1, 2, {0.5, 0.5}), 1).find("no block 1"), std::string::npos);
  EXPECT_NE(error_of(weights(1, 1, 2, {0.5, 0.5}), -2).find("no block -2"), std::string::npos);
  // A shape whose size overflows is refused, not allocated or indexed.
  const int64_t huge = int64_t{1} << 40;
  EXPECT_NE(error_of(weights(huge, huge, 2, {0.5}), -1).find("does not fit"), std::string::npos);
}

}  // namespace
