// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/task_suite.h"

#include <unordered_set>

#include "data/jsonl_suite.h"
#include "data/synthetic_suite.h"

namespace tensorpoly::data {
namespace {

std::string describe(const std::vector<std::string>& problems, int64_t n_more) {
  std::string text = std::to_string(problems.size() + n_more) +
                     (problems.size() + n_more == 1 ? " problem" : " problems") + " in the data:";
  for (const auto& problem : problems) text += "\n  " + problem;
  if (n_more > 0) text += "\n  ... and " + std::to_string(n_more) + " more";
  return text;
}

}  // namespace

DataError::DataError(std::vector<std::string> problems, int64_t n_more)
    : std::runtime_error(describe(problems, n_more)), problems_(std::move(problems)) {}

std::vector<int> TaskSuite::task_indices(const std::string& split) const {
  std::vector<int> indices;
  for (const auto& task : tasks()) {
    if (task.split == split) indices.push_back(task.index);
  }
  return indices;
}

int TaskSuite::task_index(const std::string& name) const {
  for (const auto& task : tasks()) {
    if (task.name == name) return task.index;
  }
  return -1;
}

std::vector<Example> few_shot_examples(const TaskSuite& suite, int task, int64_t k) {
  const int64_t pool = suite.n_train_examples(task);
  // A pool is listed by its first `pool` draws; on-the-fly examples repeat only by chance,
  // so a generous bound on draws finds k distinct ones whenever the strings allow.
  const int64_t max_draws = pool > 0 ? pool : 1000 + 100 * k;
  std::vector<Example> examples;
  std::unordered_set<std::string> inputs;
  for (int64_t draw = 0; draw < max_draws && static_cast<int64_t>(examples.size()) < k; ++draw) {
    Example example = suite.train_example(task, static_cast<uint64_t>(draw));
    if (inputs.insert(example.input).second) examples.push_back(std::move(example));
  }
  if (static_cast<int64_t>(examples.size()) < k) {
    throw ConfigError("few_shot.k",
                      "held-out task '" + suite.tasks().at(task).name + "' has " +
                          std::to_string(examples.size()) +
                          " distinct training examples, fewer than k = " + std::to_string(k));
  }
  return examples;
}

std::unique_ptr<TaskSuite> make_task_suite(const SuiteConfig& config) {
  validate(config);
  if (config.kind == "jsonl") return std::make_unique<JsonlSuite>(config.jsonl);
  return std::make_unique<SyntheticSuite>(config.synthetic);
}

}  // namespace tensorpoly::data
