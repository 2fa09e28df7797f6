// The Experiment facade: parameter estimates match the built model, tasks are described
// without training, a checkpoint can be re-evaluated, base pre-training is cached.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/experiment.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>
#include <vector>

#include "engine/train/test_support.h"
#include "test_paths.h"
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

// A JSONL suite whose training file holds `lines` (written fresh for the test).
ExperimentConfig jsonl_config(const std::string& name, const std::vector<std::string>& lines) {
  const std::string dir = temporary_directory(name);
  ::mkdir((std::string(TENSORPOLY_BINARY_DIR) + "/test-tmp").c_str(), 0755);
  ::mkdir(dir.c_str(), 0755);
  const std::string path = dir + "/train.jsonl";
  std::ofstream file(path, std::ios::trunc);
  for (const std::string& line : lines) file << line << "\n";
  ExperimentConfig config = tiny_config(dir + "/checkpoints");
  config.suite.kind = "jsonl";
  config.suite.jsonl.train_path = path;
  config.suite.jsonl.validation_ratio = 0.5;
  return config;
}

// The message of the SetupError that prepare() throws ("" and a failure when none).
std::string setup_error(Experiment& experiment) {
  try {
    experiment.prepare();
  } catch (const SetupError& error) {
    return error.what();
  }
  ADD_FAILURE() << "prepare() threw no SetupError";
  return {};
}

// Issue 4: every malformed line is reported with file:line and field before anything
// starts; nothing half-runs.
TEST(Experiment, PrepareReportsMalformedDataWithFileLineAndFieldBeforeAnyEvent) {
  const std::string good = R"({"task": "copy", "input": "ab", "target": "ab"})";
  ExperimentConfig config =
      jsonl_config("prepare-jsonl", {good, good, R"({"task": "copy", "input": "ab")",
                                     R"({"task": "copy", "target": "ab"})",
                                     R"({"task": "", "input": "a", "target": "a"})", good});
  const std::string path = config.suite.jsonl.train_path;
  Experiment experiment(config);
  const std::string message = setup_error(experiment);
  EXPECT_NE(message.find(path + ":3: invalid JSON"), std::string::npos) << message;
  EXPECT_NE(message.find(path + ":4: field 'input': missing"), std::string::npos) << message;
  EXPECT_NE(message.find(path + ":5: field 'task': must not be empty"), std::string::npos)
      << message;

  // run() without prepare(): the same problem ends the run before RunStarted.
  RecordingSink sink;
  const RunEnded ended = Experiment(config).run(sink);
  EXPECT_EQ(ended.status, RunStatus::kFailed);
  EXPECT_NE(ended.message.find(path + ":4: field 'input'"), std::string::npos) << ended.message;
  EXPECT_EQ(sink.order, std::vector<std::string>{"ended"});
}

TEST(Experiment, PrepareRejectsMissingCheckpointFilesNamingTheField) {
  ExperimentConfig resume = tiny_config(temporary_directory("prepare-resume"));
  resume.train.resume_from = "/no/such/checkpoint.pt";
  Experiment resumed(resume);
  const std::string resume_message = setup_error(resumed);
  EXPECT_NE(
      resume_message.find("train.resume_from: cannot open checkpoint '/no/such/checkpoint.pt'"),
      std::string::npos)
      << resume_message;

  ExperimentConfig base = tiny_config(temporary_directory("prepare-base"));
  base.base.checkpoint = "/no/such/base.safetensors";
  Experiment based(base);
  const std::string base_message = setup_error(based);
  EXPECT_NE(
      base_message.find("base.checkpoint: cannot open checkpoint '/no/such/base.safetensors'"),
      std::string::npos)
      << base_message;
}

// A prepared experiment runs with the trainer prepare() built, and a second run()
// prepares afresh.
TEST(Experiment, PreparedExperimentRunsAndCanRunAgain) {
  ExperimentConfig config = tiny_config(temporary_directory("prepared"));
  config.train.steps = 2;
  Experiment experiment(config);
  experiment.prepare();
  experiment.prepare();  // idempotent
  RecordingSink first;
  ASSERT_EQ(experiment.run(first).status, RunStatus::kFinished);
  EXPECT_EQ(first.order.front(), "started");
  RecordingSink second;
  ASSERT_EQ(experiment.run(second).status, RunStatus::kFinished);
  EXPECT_EQ(first.losses(), second.losses());
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

  // A study's other seeds and methods reuse it: the run seed varies the adapters'
  // initialisation, the batches and the noise, never the cached base.
  ExperimentConfig reseeded = config;
  reseeded.seed = config.seed + 1;
  reseeded.adapter = paper_adapter_config("lora");
  EXPECT_EQ(train::base_cache_path(reseeded, "abcdef", tokenizer), path);
  RecordingSink third;
  ASSERT_EQ(Experiment(reseeded).run(third).status, RunStatus::kFinished);
  ASSERT_EQ(third.progress.size(), 1u);
  EXPECT_NE(third.progress[0].message.find("cached base model " + path), std::string::npos);
  EXPECT_NE(third.losses().front().second, first.losses().front().second);

  // Another curriculum is another base.
  ExperimentConfig other = config;
  other.base.copy_steps = 20;
  EXPECT_NE(train::base_cache_path(other, "abcdef", tokenizer), path);
}

}  // namespace
}  // namespace tensorpoly
