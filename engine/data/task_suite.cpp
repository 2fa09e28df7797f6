// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/task_suite.h"

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

std::unique_ptr<TaskSuite> make_task_suite(const SuiteConfig& config) {
  validate(config);
  if (config.kind == "jsonl") return std::make_unique<JsonlSuite>(config.jsonl);
  return std::make_unique<SyntheticSuite>(config.synthetic);
}

}  // namespace tensorpoly::data
