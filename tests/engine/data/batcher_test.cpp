// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/batcher.h"

#include <gtest/gtest.h>

#include <cmath>

#include "data/synthetic_suite.h"

namespace tensorpoly::data {
namespace {

std::vector<int64_t> row(const torch::Tensor& t, int64_t r) {
  const auto c = t[r].contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

TEST(Batcher, CollatePadsEndsInEosAndShiftsLabels) {
  const auto batch =
      collate_token_ids({{10, 11, 12}, {20}}, {{30}, {40, 41, 42, 43}}, {3, 5}, 100, 100);
  EXPECT_EQ(batch.input_ids.sizes(), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(batch.labels.sizes(), (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(batch.decoder_input_ids.sizes(), (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(batch.input_ids.scalar_type(), torch::kInt64);
  EXPECT_EQ(row(batch.input_ids, 0), (std::vector<int64_t>{10, 11, 12, 1}));
  EXPECT_EQ(row(batch.input_ids, 1), (std::vector<int64_t>{20, 1, 0, 0}));
  EXPECT_EQ(row(batch.attention_mask, 0), (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(row(batch.attention_mask, 1), (std::vector<int64_t>{1, 1, 0, 0}));
  EXPECT_EQ(row(batch.labels, 0), (std::vector<int64_t>{30, 1, -100, -100, -100}));
  EXPECT_EQ(row(batch.labels, 1), (std::vector<int64_t>{40, 41, 42, 43, 1}));
  EXPECT_EQ(row(batch.decoder_input_ids, 0), (std::vector<int64_t>{0, 30, 1, 0, 0}));
  EXPECT_EQ(row(batch.decoder_input_ids, 1), (std::vector<int64_t>{0, 40, 41, 42, 43}));
  EXPECT_EQ(row(batch.task_ids, 0), (std::vector<int64_t>{3}));
  EXPECT_EQ(batch.task_ids.sizes(), (std::vector<int64_t>{2}));
  EXPECT_EQ(batch.size(), 2);
}

TEST(Batcher, TruncatesButKeepsEos) {
  const auto batch = collate_token_ids({{5, 6, 7, 8, 9}}, {{5, 6, 7}}, {0}, 3, 2);
  EXPECT_EQ(row(batch.input_ids, 0), (std::vector<int64_t>{5, 6, 1}));
  EXPECT_EQ(row(batch.labels, 0), (std::vector<int64_t>{5, 1}));
  EXPECT_EQ(row(batch.decoder_input_ids, 0), (std::vector<int64_t>{0, 5}));
}

TEST(Batcher, EmptyTargetIsJustEos) {
  const auto batch = collate_token_ids({{}}, {{}}, {0}, 8, 8);
  EXPECT_EQ(row(batch.input_ids, 0), (std::vector<int64_t>{1}));
  EXPECT_EQ(row(batch.labels, 0), (std::vector<int64_t>{1}));
  EXPECT_EQ(row(batch.decoder_input_ids, 0), (std::vector<int64_t>{0}));
}

TEST(Batcher, TrainBatchesAreAPureFunctionOfSeedAndStep) {
  const SyntheticSuite suite(SyntheticSuiteConfig{});
  const ByteTokenizer tokenizer;
  BatcherOptions options;
  options.seed = 42;
  const Batcher a(suite, tokenizer, options);
  const Batcher b(suite, tokenizer, options);
  options.seed = 43;
  const Batcher c(suite, tokenizer, options);
  // Step 7 of a fresh batcher equals step 7 after many others (resume from a checkpoint).
  for (int64_t step = 0; step < 7; ++step) (void)a.train_batch(step);
  const auto batch_a = a.train_batch(7);
  const auto batch_b = b.train_batch(7);
  EXPECT_EQ(batch_a.input_ids.sizes()[0], 32);
  EXPECT_TRUE(torch::equal(batch_a.input_ids, batch_b.input_ids));
  EXPECT_TRUE(torch::equal(batch_a.labels, batch_b.labels));
  EXPECT_TRUE(torch::equal(batch_a.task_ids, batch_b.task_ids));
  EXPECT_FALSE(torch::equal(batch_a.task_ids, a.train_batch(8).task_ids));
  EXPECT_FALSE(torch::equal(batch_a.task_ids, c.train_batch(7).task_ids));
}

TEST(Batcher, BatchRowsDecodeToTheExamples) {
  const SyntheticSuite suite(SyntheticSuiteConfig{});
  const ByteTokenizer tokenizer;
  const Batcher batcher(suite, tokenizer, BatcherOptions{});
  const auto examples = batcher.sample(3);
  const auto batch = batcher.collate(examples);
  const auto inputs = decode_rows(tokenizer, batch.input_ids);
  // Labels: -100 -> pad so that decode_rows sees ids.
  const auto targets = decode_rows(tokenizer, batch.labels.clamp_min(0));
  const auto decoder = decode_rows(tokenizer, batch.decoder_input_ids);
  for (size_t i = 0; i < examples.size(); ++i) {
    EXPECT_EQ(inputs[i], examples[i].input);
    EXPECT_EQ(targets[i], examples[i].target);
    EXPECT_EQ(decoder[i], examples[i].target);  // starts with pad, which decode skips
    EXPECT_EQ(batch.task_ids[i].item<int64_t>(), examples[i].task);
    EXPECT_EQ(suite.tasks()[examples[i].task].split, "train");  // held-out tasks not sampled
    // Each row's input ends in exactly one eos, then only padding.
    const auto ids = row(batch.input_ids, static_cast<int64_t>(i));
    const auto n = tokenizer.encode(examples[i].input).size();
    EXPECT_EQ(ids[n], 1);
    for (size_t j = n + 1; j < ids.size(); ++j) EXPECT_EQ(ids[j], 0);
    EXPECT_EQ(row(batch.attention_mask, static_cast<int64_t>(i))[n], 1);
  }
}

TEST(Batcher, SamplesTasksUniformly) {
  const SyntheticSuite suite(SyntheticSuiteConfig{});
  const ByteTokenizer tokenizer;
  BatcherOptions options;
  options.seed = 5;
  const Batcher batcher(suite, tokenizer, options);
  const int n_tasks = static_cast<int>(batcher.tasks().size());
  ASSERT_EQ(n_tasks, 18);
  std::vector<int> counts(suite.n_tasks(), 0);
  const int64_t steps = 500;
  for (int64_t step = 0; step < steps; ++step) {
    for (const auto& example : batcher.sample(step)) ++counts[example.task];
  }
  const double expected = steps * 32.0 / n_tasks;
  double chi_square = 0.0;
  for (int task = 0; task < suite.n_tasks(); ++task) {
    if (suite.tasks()[task].split == "heldout") {
      EXPECT_EQ(counts[task], 0);
      continue;
    }
    chi_square += std::pow(counts[task] - expected, 2) / expected;
  }
  // 17 degrees of freedom: the 99.9% quantile is 40.8.
  EXPECT_LT(chi_square, 40.8);
}

TEST(Batcher, SamplesOnlyTheGivenTasks) {
  const SyntheticSuite suite(SyntheticSuiteConfig{});
  const ByteTokenizer tokenizer;
  BatcherOptions options;
  options.tasks = suite.task_indices("heldout");
  options.batch_size = 8;
  const Batcher batcher(suite, tokenizer, options);
  for (const auto& example : batcher.sample(0)) {
    EXPECT_EQ(suite.tasks()[example.task].split, "heldout");
  }
  options.tasks = {99};
  EXPECT_THROW(Batcher(suite, tokenizer, options), std::invalid_argument);
}

TEST(Batcher, ChoicesGiveOneRowPerChoice) {
  const SyntheticSuite suite(SyntheticSuiteConfig{});
  const ByteTokenizer tokenizer;
  const Batcher batcher(suite, tokenizer, BatcherOptions{});
  Example example;
  example.task = 2;
  example.input = "premise";
  example.target = "no";
  example.choices = {"yes", "no", "maybe"};
  const auto batch = batcher.collate_choices(example);
  EXPECT_EQ(batch.size(), 3);
  const auto targets = decode_rows(tokenizer, batch.labels.clamp_min(0));
  EXPECT_EQ(targets, example.choices);
  EXPECT_TRUE(torch::equal(batch.input_ids[0], batch.input_ids[2]));
  EXPECT_TRUE(torch::equal(batch.task_ids, torch::full({3}, 2, torch::kInt64)));
  example.choices.clear();
  EXPECT_THROW(batcher.collate_choices(example), std::invalid_argument);
}

}  // namespace
}  // namespace tensorpoly::data
