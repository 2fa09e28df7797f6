// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/events.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace tensorpoly {
namespace {

TEST(Events, RunStatusNamesRoundTrip) {
  for (RunStatus s : {RunStatus::kRunning, RunStatus::kFinished, RunStatus::kStopped,
                      RunStatus::kFailed, RunStatus::kDiverged, RunStatus::kInterrupted}) {
    EXPECT_EQ(parse_run_status(run_status_name(s)), s);
  }
  EXPECT_THROW(parse_run_status("crashed"), std::invalid_argument);
}

TEST(Routing, IndexesBlocksTasksAndSkills) {
  RoutingMatrix m{"encoder.block.0.layer.0.SelfAttention.q", RoutingKind::kOrders, {2, 3, 4}, {}};
  for (int i = 0; i < 24; ++i) m.values.push_back(static_cast<float>(i));
  EXPECT_EQ(m.n_blocks(), 2);
  EXPECT_EQ(m.n_tasks(), 3);
  EXPECT_EQ(m.n_skills(), 4);
  EXPECT_FLOAT_EQ(m.at(1, 2, 3), 23.0f);
  EXPECT_FLOAT_EQ(m.at(0, 1, 0), 4.0f);
  EXPECT_THROW(m.at(2, 0, 0), std::out_of_range);
  EXPECT_EQ(parse_routing_kind(routing_kind_name(RoutingKind::kSplits)), RoutingKind::kSplits);
}

}  // namespace
}  // namespace tensorpoly
