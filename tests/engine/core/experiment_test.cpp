// The Experiment facade: parameter estimates match the built model, tasks are described
// without training, a checkpoint can be re-evaluated, base pre-training is cached.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "engine/train/test_support.h"
#include "tensorpoly/experiment.h"
#include "train/base_model.h"
#include "train/trainer.h"

namespace tensorpoly {
namespace {

using testing::RecordingSink;
using testing::temporary_directory;
using testing::tiny_config;

TEST(Experiment, EstimatedParametersMatchTheBuiltModel) {
  for (const std::string method :
       {"lora", "tlora", "poly", "mhr", "tensorpoly-1", "tensorpoly-2", "none"}) {
    SCOPED_TRACE(method);
    ExperimentConfig config = tiny_config(temporary_directory("estimate"));
    config.adapter = paper_adapter_config(method);
    config.base.unfreeze = method == "none";
    train::Trainer trainer(config);
    ASSERT_TRUE(trainer.prepare(nullptr, nullptr));
    const ParameterCounts built = trainer.parameter_counts();
    const ParameterCounts estimated = estimate_parameters(config);
    EXPECT_EQ(estimated.total, built.total);
    EXPECT_EQ(estimated.trainable, built.trainable);
    EXPECT_EQ(estimated.router, built.router);
    EXPECT_EQ(estimated.per_task, built.per_task);
  }
}

TEST(Experiment, DescribesTasksWithoutTraining) {
  const auto tasks = describe_tasks(tiny_config(""));
  ASSERT_EQ(tasks.size(), 5u);
  EXPECT_EQ(tasks[0].split, "train");
  EXPECT_EQ(tasks[4].split, "heldout");
  EXPECT_FALSE(tasks[0].family.empty());
}

TEST(Experiment, RejectsAnInvalidConfiguration) {
  ExperimentConfig config = tiny_config("");
  config.train.batch_size = 0;
  EXPECT_THROW(Experiment{config}, ConfigError);
}

TEST(Experiment, ReportsAFailureAsRunEnded) {
  ExperimentConfig config = tiny_config(temporary_directory("failure"));
  config.train.resume_from = "/no/such/checkpoint.pt";
  RecordingSink sink;
  const RunEnded ended = Experiment(config).run(sink);
  EXPECT_EQ(ended.status, RunStatus::kFailed);
  EXPECT_NE(ended.message.find("/no/such/checkpoint.pt"), std::string::npos) << ended.message;
  EXPECT_EQ(sink.ended.size(), 1u);
}

TEST(Experiment, ReEvaluatesACheckpoint) {
  ExperimentConfig config = tiny_config(temporary_directory("reeval"));
  RecordingSink sink;
  ASSERT_EQ(Experiment(config).run(sink).status, RunStatus::kFinished);
  ASSERT_FALSE(sink.checkpoints.empty());
  const EvalResult again = evaluate_checkpoint(config, sink.checkpoints.back().path);
  ASSERT_EQ(again.tasks.size(), sink.evals.back().tasks.size());
  EXPECT_EQ(again.step, 6);
  for (size_t i = 0; i < again.tasks.size(); ++i) {
    EXPECT_NEAR(again.tasks[i].loss, sink.evals.back().tasks[i].loss, 1e-5);
    EXPECT_DOUBLE_EQ(again.tasks[i].exact_match, sink.evals.back().tasks[i].exact_match);
  }
}

// A short pre-training builds the base once, reports progress, and the second run
// loads it from the cache.
TEST(Experiment, BaseModelIsPretrainedOnceThenCached) {
  ExperimentConfig config = tiny_config(temporary_directory("base-run"));
  config.base.cache_dir = temporary_directory("base-cache");
  config.base.pretrain_steps = 30;
  config.base.copy_steps = 10;
  config.base.batch_size = 8;
  config.train.steps = 2;
  RecordingSink first;
  ASSERT_EQ(Experiment(config).run(first).status, RunStatus::kFinished);
  ASSERT_GE(first.progress.size(), 2u);
  EXPECT_EQ(first.progress.front().stage, "base");
  EXPECT_NE(first.progress.back().message.find("cached"), std::string::npos);
  struct stat info {};
  data::ByteTokenizer tokenizer;
  const std::string path = train::base_cache_path(config, "abcdef", tokenizer);
  ASSERT_EQ(::stat(path.c_str(), &info), 0) << path;

  RecordingSink second;
  ASSERT_EQ(Experiment(config).run(second).status, RunStatus::kFinished);
  ASSERT_EQ(second.progress.size(), 1u);
  EXPECT_NE(second.progress[0].message.find("cached base model"), std::string::npos);
  // Same base, same seed: the same first loss.
  EXPECT_DOUBLE_EQ(first.losses().front().second, second.losses().front().second);

  // Another curriculum is another base.
  ExperimentConfig other = config;
  other.base.copy_steps = 20;
  EXPECT_NE(train::base_cache_path(other, "abcdef", tokenizer), path);
}

}  // namespace
}  // namespace tensorpoly
