// Dynamic loss scaling for fp16 (GradScaler's rule).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "train/loss_scale.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace tensorpoly::train {
namespace {

TEST(LossScaler, HalvesOnOverflowAndGrowsAfterCleanSteps) {
  LossScaler::Options options;
  options.initial_scale = 1024;
  options.growth_interval = 3;
  LossScaler scaler(true, options);
  EXPECT_DOUBLE_EQ(scaler.scale(), 1024);
  scaler.update(true);
  EXPECT_DOUBLE_EQ(scaler.scale(), 512);
  EXPECT_EQ(scaler.skipped_steps(), 1);
  scaler.update(false);
  scaler.update(false);
  EXPECT_DOUBLE_EQ(scaler.scale(), 512);
  scaler.update(false);  // the third clean step in a row
  EXPECT_DOUBLE_EQ(scaler.scale(), 1024);
  scaler.update(false);
  scaler.update(true);  // an overflow restarts the count
  scaler.update(false);
  scaler.update(false);
  EXPECT_DOUBLE_EQ(scaler.scale(), 512);
}

TEST(LossScaler, NeverDropsBelowTheMinimumAndIsOneWhenDisabled) {
  LossScaler::Options options;
  options.initial_scale = 2;
  LossScaler scaler(true, options);
  for (int i = 0; i < 5; ++i) scaler.update(true);
  EXPECT_DOUBLE_EQ(scaler.scale(), 1);
  LossScaler off(false);
  off.update(true);
  EXPECT_DOUBLE_EQ(off.scale(), 1);
  EXPECT_EQ(off.skipped_steps(), 0);
  options.growth_factor = 1;
  EXPECT_THROW(LossScaler(true, options), std::invalid_argument);
}

}  // namespace
}  // namespace tensorpoly::train
