// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/events.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace tensorpoly {
namespace {

TEST(Events, RunStatusNamesRoundTrip) {
  for (RunStatus s : {RunStatus::kRunning, RunStatus::kFinished, RunStatus::kStopped,
                      RunStatus::kFailed, RunStatus::kDiverged, RunStatus::kInterrupted}) {
    EXPECT_EQ(parse_run_status(run_status_name(s)), s);
  }
  EXPECT_THROW(parse_run_status("crashed"), std::invalid_argument);
}

// Records what reaches it, in order, tagged with the sink's name.
class TaggingSink : public EventSink {
 public:
  TaggingSink(std::string tag, std::vector<std::string>& log) : tag_(std::move(tag)), log_(log) {}
  void on_run_started(const RunStarted& e) override {
    log_.push_back(tag_ + ":started:" + e.name + ":" + e.tasks.at(0).family + ":" +
                   e.tasks.at(0).skills.at(1) + ":" + std::to_string(e.parameters.router) + ":" +
                   e.device);
  }
  void on_step(const StepMetrics& e) override {
    log_.push_back(tag_ + ":step:" + std::to_string(e.step));
  }
  void on_eval(const EvalResult& e) override {
    log_.push_back(tag_ + ":eval:" + e.split + ":" + std::to_string(e.step));
  }
  void on_routing(const RoutingSnapshot& e) override {
    log_.push_back(tag_ + ":routing:" + std::to_string(e.step));
  }
  void on_checkpoint(const CheckpointSaved& e) override {
    log_.push_back(tag_ + ":checkpoint:" + e.path);
  }
  void on_run_ended(const RunEnded& e) override {
    log_.push_back(tag_ + ":ended:" + run_status_name(e.status));
  }
  void on_progress(const StageProgress& e) override {
    log_.push_back(tag_ + ":progress:" + e.stage);
  }

 private:
  std::string tag_;
  std::vector<std::string>& log_;
};

TEST(Events, FanOutSinkForwardsEveryEventToEverySinkInOrder) {
  std::vector<std::string> log;
  TaggingSink first("a", log), second("b", log);
  FanOutSink fan_out({&first, &second});
  RunStarted started;
  started.name = "run";
  started.tasks.push_back({0, "shift_reverse", "shift", {"shift", "reverse"}, "train"});
  started.parameters.router = 40;
  started.device = "cuda:1";
  fan_out.on_run_started(started);
  fan_out.on_step(StepMetrics{3, 0.5, {}});
  fan_out.on_eval(EvalResult{2, 1.0, "heldout", {}});
  fan_out.on_routing(RoutingSnapshot{3, {}});
  fan_out.on_checkpoint(CheckpointSaved{3, "/tmp/step-000003.pt"});
  fan_out.on_progress(StageProgress{"few_shot", 1, 5, 0.1, 0.2, ""});
  fan_out.on_run_ended(RunEnded{RunStatus::kStopped, 3, ""});
  const std::vector<std::string> expected = {"a:started:run:shift:reverse:40:cuda:1",
                                             "b:started:run:shift:reverse:40:cuda:1",
                                             "a:step:3",
                                             "b:step:3",
                                             "a:eval:heldout:2",
                                             "b:eval:heldout:2",
                                             "a:routing:3",
                                             "b:routing:3",
                                             "a:checkpoint:/tmp/step-000003.pt",
                                             "b:checkpoint:/tmp/step-000003.pt",
                                             "a:progress:few_shot",
                                             "b:progress:few_shot",
                                             "a:ended:stopped",
                                             "b:ended:stopped"};
  EXPECT_EQ(log, expected);
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
