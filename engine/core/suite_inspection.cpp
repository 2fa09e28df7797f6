// The suite as the model sees it (tensorpoly/suite_inspection.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/suite_inspection.h"

#include <algorithm>
#include <stdexcept>

#include "data/task_suite.h"

namespace tensorpoly {
namespace {

SuiteExample text_of(const data::TaskSuite& suite, const data::Example& example,
                     const std::string& split) {
  return {suite.tasks().at(example.task).name, split, example.input, example.target,
          example.choices};
}

}  // namespace

const std::vector<std::string>& suite_splits() {
  static const std::vector<std::string> splits = {"train", "validation", "heldout"};
  return splits;
}

std::vector<SuiteTask> describe_suite_tasks(const ExperimentConfig& config) {
  validate(config);
  const auto suite = data::make_task_suite(config.suite);
  std::vector<SuiteTask> tasks;
  for (const TaskInfo& task : suite->tasks()) tasks.push_back({task, suite->task_tag(task.index)});
  return tasks;
}

std::vector<SuiteExample> suite_examples(const ExperimentConfig& config, const std::string& split,
                                         int64_t limit) {
  const auto& splits = suite_splits();
  if (std::find(splits.begin(), splits.end(), split) == splits.end()) {
    throw std::invalid_argument("no split '" + split + "' (allowed: train, validation, heldout)");
  }
  if (limit < 1) {
    throw std::invalid_argument("the example limit must be >= 1, got " + std::to_string(limit));
  }
  validate(config);
  const auto suite = data::make_task_suite(config.suite);
  std::vector<SuiteExample> examples;
  for (const TaskInfo& task : suite->tasks()) {
    if (split == "validation") {
      const auto& validation = suite->validation_examples(task.index);
      const auto n = std::min<size_t>(validation.size(), static_cast<size_t>(limit));
      for (size_t i = 0; i < n; ++i) examples.push_back(text_of(*suite, validation[i], split));
    } else if (split == "train" && task.split == "train") {
      const int64_t pool = suite->n_train_examples(task.index);
      const int64_t n = pool > 0 ? std::min(pool, limit) : limit;
      for (int64_t draw = 0; draw < n; ++draw) {
        examples.push_back(
            text_of(*suite, suite->train_example(task.index, static_cast<uint64_t>(draw)), split));
      }
    } else if (split == "heldout" && task.split == "heldout") {
      const auto few_shot = data::few_shot_examples(*suite, task.index, config.few_shot.k);
      const auto n = std::min<size_t>(few_shot.size(), static_cast<size_t>(limit));
      for (size_t i = 0; i < n; ++i) examples.push_back(text_of(*suite, few_shot[i], split));
    }
  }
  return examples;
}

}  // namespace tensorpoly
