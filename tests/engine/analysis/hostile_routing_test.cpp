// Routing matrices as a damaged or hand-made store hands them over: shapes whose
// element count overflows, indexes outside a matrix, and layer patterns that would
// make a backtracking regex engine run for hours.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "tensorpoly/analysis.h"
#include "tensorpoly/limits.h"
#include "tensorpoly/name_pattern.h"

namespace ta = tensorpoly::analysis;
using tensorpoly::RoutingKind;
using tensorpoly::RoutingMatrix;

namespace {

std::string invalid_argument_of(const std::vector<RoutingMatrix>& routing,
                                const ta::LayerSelection& selection = {}) {
  try {
    ta::task_vectors(routing, selection);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return {};
}

TEST(HostileRouting, AShapeWhoseElementCountWrapsToZeroIsRefused) {
  RoutingMatrix matrix;
  matrix.layer = "encoder.block.0.layer.0.SelfAttention.q";
  matrix.shape = {int64_t{1} << 32, int64_t{1} << 32};  // 2^64 values: wraps to 0
  const std::string message = invalid_argument_of({matrix});
  EXPECT_NE(message.find("too large"), std::string::npos) << message;
  EXPECT_NE(message.find(matrix.layer), std::string::npos) << message;
  matrix.kind = RoutingKind::kOrders;
  matrix.shape = {int64_t{1} << 21, int64_t{1} << 21, int64_t{1} << 22};
  EXPECT_NE(invalid_argument_of({matrix}).find("too large"), std::string::npos);
}

TEST(HostileRouting, CheckedElementCountRefusesNegativeAndOverflowingShapes) {
  EXPECT_EQ(tensorpoly::checked_element_count({3, 4}), 12);
  EXPECT_EQ(tensorpoly::checked_element_count({}), 1);
  EXPECT_EQ(tensorpoly::checked_element_count({0, int64_t{1} << 62}), 0);
  EXPECT_FALSE(tensorpoly::checked_element_count({-1, 4}).has_value());
  EXPECT_FALSE(tensorpoly::checked_element_count({int64_t{1} << 32, int64_t{1} << 32}));
  EXPECT_FALSE(tensorpoly::checked_element_count({int64_t{1} << 62, 2}));
}

TEST(HostileRouting, MatrixAtRefusesAnIndexOutsideTheMatrix) {
  ta::Matrix matrix(2, 3);
  matrix.at(1, 2) = 5.0;
  EXPECT_EQ(matrix.at(1, 2), 5.0);
  EXPECT_THROW(matrix.at(2, 0), std::out_of_range);
  EXPECT_THROW(matrix.at(0, 3), std::out_of_range);
  EXPECT_THROW(matrix.at(-1, 0), std::out_of_range);
  const ta::Matrix& constant = matrix;
  EXPECT_THROW((void)constant.at(0, -1), std::out_of_range);
}

TEST(HostileRouting, AMatrixWhoseSizeOverflowsIsRefusedBeforeAllocating) {
  EXPECT_THROW(ta::Matrix(int64_t{1} << 32, int64_t{1} << 32), std::invalid_argument);
  EXPECT_THROW(ta::Matrix(-1, 3), std::invalid_argument);
}

TEST(HostileRouting, ACatastrophicLayerPatternIsMatchedInLinearTime) {
  // With a backtracking engine (std::regex) this pattern takes exponential time in the
  // name's length; this test would not finish. RE2 answers at once.
  RoutingMatrix matrix;
  matrix.layer = "encoder.block.0.layer.0.SelfAttention.q.with.a.rather.long.name.xxxxxxxxxxxx";
  matrix.shape = {2, 2};
  matrix.values = {0.5f, 0.5f, 0.25f, 0.75f};
  ta::LayerSelection selection;
  selection.pattern = "(.*)*(.*)*(.*)*(.*)*NOMATCH";
  const std::string message = invalid_argument_of({matrix}, selection);
  EXPECT_NE(message.find("no routing layer"), std::string::npos) << message;
}

TEST(HostileRouting, AnInvalidLayerPatternIsRefusedNamingIt) {
  RoutingMatrix matrix;
  matrix.layer = "encoder.q";
  matrix.shape = {1, 1};
  matrix.values = {1.0f};
  ta::LayerSelection selection;
  selection.pattern = "(unclosed";
  const std::string message = invalid_argument_of({matrix}, selection);
  EXPECT_NE(message.find("layer pattern"), std::string::npos) << message;
  EXPECT_NE(message.find("'(unclosed'"), std::string::npos) << message;
  EXPECT_THROW(tensorpoly::NamePattern("a(", "adapter.module_regex"), std::invalid_argument);
}

}  // namespace
