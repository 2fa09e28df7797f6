// Statistics of repeated runs against hand-computed values: Student-t quantiles (table
// values), the 95 % interval of a mean, an undefined interval for one seed, the median
// and mean curves.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

namespace ta = tensorpoly::analysis;

namespace {

TEST(Statistics, StudentTQuantilesMatchTheTables) {
  // Two-sided 95 % (p = 0.975) for 1, 2, 3, 4, 9, 29 degrees of freedom, and two others.
  EXPECT_NEAR(ta::student_t_quantile(0.975, 1), 12.7062047, 1e-6);
  EXPECT_NEAR(ta::student_t_quantile(0.975, 2), 4.3026527, 1e-6);
  EXPECT_NEAR(ta::student_t_quantile(0.975, 3), 3.1824463, 1e-6);
  EXPECT_NEAR(ta::student_t_quantile(0.975, 4), 2.7764451, 1e-6);
  EXPECT_NEAR(ta::student_t_quantile(0.975, 9), 2.2621572, 1e-6);
  EXPECT_NEAR(ta::student_t_quantile(0.975, 29), 2.0452296, 1e-6);
  EXPECT_NEAR(ta::student_t_quantile(0.95, 10), 1.8124611, 1e-6);
  EXPECT_NEAR(ta::student_t_quantile(0.995, 5), 4.0321430, 1e-6);
  // Symmetric, 0 at the median, the normal quantile for many degrees of freedom.
  EXPECT_DOUBLE_EQ(ta::student_t_quantile(0.025, 2), -ta::student_t_quantile(0.975, 2));
  EXPECT_EQ(ta::student_t_quantile(0.5, 3), 0.0);
  EXPECT_NEAR(ta::student_t_quantile(0.975, 1e7), 1.9599640, 1e-6);
  EXPECT_THROW(ta::student_t_quantile(1.0, 2), std::invalid_argument);
  EXPECT_THROW(ta::student_t_quantile(0.975, 0), std::invalid_argument);
}

TEST(Statistics, MeanIntervalOfThreeSeedsByHand) {
  // Mean 0.6; sample sd sqrt((0.01 + 0.01 + 0) / 2) = 0.1; half width
  // 4.3026527 * 0.1 / sqrt(3) = 0.2484137.
  const ta::MeanInterval result = ta::mean_interval({0.5, 0.7, 0.6});
  EXPECT_EQ(result.n, 3);
  EXPECT_NEAR(result.mean, 0.6, 1e-12);
  EXPECT_NEAR(result.standard_deviation, 0.1, 1e-12);
  ASSERT_TRUE(result.interval.has_value());
  EXPECT_NEAR((*result.interval)[0], 0.3515863, 1e-6);
  EXPECT_NEAR((*result.interval)[1], 0.8484137, 1e-6);
  // Two seeds: t(0.975, 1) = 12.7062047 and sd / sqrt(2) = 1 for {1, 3}.
  const ta::MeanInterval two = ta::mean_interval({1.0, 3.0});
  ASSERT_TRUE(two.interval.has_value());
  EXPECT_NEAR((*two.interval)[0], 2.0 - 12.7062047, 1e-6);
  EXPECT_NEAR((*two.interval)[1], 2.0 + 12.7062047, 1e-6);
  // Another confidence: 90 % with 3 values uses t(0.95, 2) = 2.9199856.
  const ta::MeanInterval ninety = ta::mean_interval({0.5, 0.7, 0.6}, 0.90);
  EXPECT_NEAR((*ninety.interval)[1] - 0.6, 2.9199856 * 0.1 / std::sqrt(3.0), 1e-6);
}

TEST(Statistics, OneSeedHasNoIntervalNotAZeroWidthOne) {
  const ta::MeanInterval one = ta::mean_interval({0.42});
  EXPECT_EQ(one.n, 1);
  EXPECT_DOUBLE_EQ(one.mean, 0.42);
  EXPECT_TRUE(std::isnan(one.standard_deviation));
  EXPECT_FALSE(one.interval.has_value());
  // NaN marks a run that did not measure the metric: left out, not averaged.
  const ta::MeanInterval with_gap = ta::mean_interval({0.42, std::nan("")});
  EXPECT_EQ(with_gap.n, 1);
  EXPECT_FALSE(with_gap.interval.has_value());
  const ta::MeanInterval none = ta::mean_interval({});
  EXPECT_EQ(none.n, 0);
  EXPECT_TRUE(std::isnan(none.mean));
  EXPECT_THROW(ta::mean_interval({1.0, 2.0}, 1.0), std::invalid_argument);
}

TEST(Statistics, MedianAndMeanCurve) {
  EXPECT_DOUBLE_EQ(ta::median({30.0, 10.0, 20.0}), 20.0);
  EXPECT_DOUBLE_EQ(ta::median({40.0, 10.0, 20.0, 30.0}), 25.0);
  EXPECT_TRUE(std::isnan(ta::median({})));
  // Steps all curves share; step 3 is missing from the second curve.
  const auto band = ta::mean_curve({{{0, 1.0}, {2, 0.5}, {3, 0.4}}, {{0, 3.0}, {2, 0.7}}});
  ASSERT_EQ(band.size(), 2u);
  EXPECT_EQ(band[0].step, 0);
  EXPECT_DOUBLE_EQ(band[0].value.mean, 2.0);
  EXPECT_EQ(band[1].step, 2);
  EXPECT_NEAR(band[1].value.mean, 0.6, 1e-12);
  ASSERT_TRUE(band[1].value.interval.has_value());
  EXPECT_NEAR((*band[1].value.interval)[1], 0.6 + 12.7062047 * 0.1, 1e-6);
}

}  // namespace
