// Evaluation on validation examples: tasks without examples are left out, rank
// classification picks the choice with the lowest mean token loss, and an evaluation can
// be abandoned between two batches.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "train/evaluation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>

#include "engine/train/test_support.h"
#include "train/checkpointing.h"
#include "train/trainer.h"

namespace tensorpoly {
namespace {

using testing::temporary_directory;
using testing::tiny_config;

std::string write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// tiny_config on a JSONL suite made of the given training and validation lines.
ExperimentConfig jsonl_config(const std::string& name, const std::string& train,
                              const std::string& validation) {
  const std::string dir = temporary_directory(name);
  train::make_directories(dir);
  ExperimentConfig config = tiny_config(dir + "/checkpoints");
  config.suite.kind = "jsonl";
  config.suite.jsonl.train_path = write_file(dir + "/train.jsonl", train);
  config.suite.jsonl.validation_path = write_file(dir + "/validation.jsonl", validation);
  return config;
}

TEST(Evaluation, TaskWithoutValidationExamplesIsLeftOut) {
  const ExperimentConfig config = jsonl_config("eval-empty-task",
                                               R"({"task": "copy", "input": "abc", "target": "abc"}
{"task": "upper", "input": "abc", "target": "ABC"}
)",
                                               R"({"task": "copy", "input": "de", "target": "de"}
{"task": "copy", "input": "fgh", "target": "fgh"}
{"task": "copy", "input": "a", "target": "a"}
)");
  train::Trainer trainer(config);
  ASSERT_TRUE(trainer.prepare(nullptr, nullptr));
  ASSERT_EQ(trainer.suite().n_tasks(), 2);
  ASSERT_TRUE(trainer.suite().validation_examples(1).empty());

  const auto results = trainer.evaluate({0, 1});
  ASSERT_EQ(results.size(), 1u) << "the task with no validation example was reported";
  EXPECT_EQ(results[0].task, 0);
  EXPECT_EQ(results[0].n_examples, 3);
  EXPECT_GT(results[0].loss, 0.0);
  EXPECT_DOUBLE_EQ(train::mean_loss(results), results[0].loss);

  // Means skip an unmeasured entry however it got there.
  TaskEvaluation unmeasured;
  unmeasured.task = 1;
  EXPECT_DOUBLE_EQ(train::mean_loss({results[0], unmeasured}), results[0].loss);
  EXPECT_DOUBLE_EQ(train::mean_exact_match({results[0], unmeasured}), results[0].exact_match);
  EXPECT_TRUE(std::isnan(train::mean_loss({})));
}

// The choices differ a lot in length, so ranking by the summed loss (which favours the
// short one) and by the mean token loss disagree; evaluation must agree with the mean.
TEST(Evaluation, RankClassificationPicksTheChoiceWithTheLowestMeanTokenLoss) {
  std::string validation;
  const int n_examples = 16;
  for (int i = 0; i < n_examples; ++i) {
    validation += R"({"task": "pick", "input": "question )" + std::to_string(i * 7919 % 1000) +
                  R"(", "target": "a", "choices": ["a", "bcdefghijk"]})" + "\n";
  }
  const ExperimentConfig config = jsonl_config(
      "eval-rank",
      R"({"task": "pick", "input": "question", "target": "a", "choices": ["a", "bcdefghijk"]}
)",
      validation);
  train::Trainer trainer(config);
  ASSERT_TRUE(trainer.prepare(nullptr, nullptr));
  const auto& examples = trainer.suite().validation_examples(0);
  ASSERT_EQ(examples.size(), static_cast<size_t>(n_examples));

  // Each choice scored on its own (one row, no padding), from the logits.
  int mean_correct = 0, sum_correct = 0;
  {
    torch::NoGradGuard no_grad;
    auto& model = trainer.model();
    model.eval();
    namespace F = torch::nn::functional;
    for (const auto& example : examples) {
      ASSERT_TRUE(example.rank_classification());
      std::vector<double> means, sums;
      for (const auto& choice : example.choices) {
        const data::Batch batch =
            data::collate_token_ids({trainer.tokenizer().encode(example.input)},
                                    {trainer.tokenizer().encode(choice)}, {0}, 128, 64)
                .to(trainer.device());
        model.set_task_ids(batch.task_ids);
        const auto logits =
            model.forward(batch.input_ids, batch.attention_mask, batch.decoder_input_ids);
        const auto token_losses = F::cross_entropy(
            logits[0], batch.labels[0], F::CrossEntropyFuncOptions().reduction(torch::kNone));
        sums.push_back(token_losses.sum().item<double>());
        means.push_back(token_losses.mean().item<double>());
      }
      const auto best_mean = std::min_element(means.begin(), means.end()) - means.begin();
      const auto best_sum = std::min_element(sums.begin(), sums.end()) - sums.begin();
      mean_correct += example.choices[static_cast<size_t>(best_mean)] == example.target ? 1 : 0;
      sum_correct += example.choices[static_cast<size_t>(best_sum)] == example.target ? 1 : 0;
    }
    model.train();
  }
  ASSERT_NE(mean_correct, sum_correct) << "these examples do not tell the two scorings apart";

  const auto results = trainer.evaluate({0});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_DOUBLE_EQ(results[0].accuracy, static_cast<double>(mean_correct) / n_examples);
  EXPECT_EQ(results[0].exact_match, -1.0);  // every example is rank-classified
  EXPECT_TRUE(std::isfinite(results[0].loss));
}

TEST(Evaluation, BeforeBatchReturningFalseAbandonsItBetweenBatches) {
  train::Trainer trainer(tiny_config(temporary_directory("eval-abandon")));
  ASSERT_TRUE(trainer.prepare(nullptr, nullptr));
  data::BatcherOptions batcher_options;
  batcher_options.tasks = trainer.train_tasks();
  const data::Batcher batcher(trainer.suite(), trainer.tokenizer(), batcher_options);

  int calls = 0;
  train::EvalOptions options;
  options.batch_size = 1;  // 4 tasks x 4 validation examples: 16 batches
  options.before_batch = [&] { return ++calls < 3; };
  const auto abandoned = train::evaluate_tasks(trainer.model(), trainer.suite(), batcher,
                                               trainer.train_tasks(), options, trainer.device());
  EXPECT_FALSE(abandoned.has_value());
  EXPECT_EQ(calls, 3);                         // two batches ran, the third was refused
  EXPECT_TRUE(trainer.model().is_training());  // the training mode is restored

  calls = 0;
  options.before_batch = [&] { return ++calls > 0; };
  const auto complete = train::evaluate_tasks(trainer.model(), trainer.suite(), batcher,
                                              trainer.train_tasks(), options, trainer.device());
  ASSERT_TRUE(complete.has_value());
  EXPECT_EQ(complete->size(), 4u);
  EXPECT_EQ(calls, 16);
}

}  // namespace
}  // namespace tensorpoly
