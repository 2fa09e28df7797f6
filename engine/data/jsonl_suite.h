// Multi-task JSONL files: one example per line,
//   {"task": "nli", "input": "...", "target": "yes", "choices": ["yes", "no"]}
// "task" (non-empty string), "input" and "target" (strings) are required; "choices" is
// optional and, when present, a non-empty list of distinct strings that contains the
// target (rank classification needs the right answer among the options). Other fields
// are ignored; blank lines are skipped. Every problem in both files is collected, with
// file:line and field, and thrown as one DataError before anything runs.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>
#include <vector>

#include "data/task_suite.h"

namespace tensorpoly::data {

// One parsed line, task given by name.
struct JsonlRecord {
  std::string task;
  std::string input;
  std::string target;
  std::vector<std::string> choices;
  int line = 0;
};

// Reads every line of `path`; problems are appended to `problems` ("path:line: ...").
std::vector<JsonlRecord> read_jsonl(const std::string& path, std::vector<std::string>& problems);

class JsonlSuite : public TaskSuite {
 public:
  // At most this many problems are listed in a DataError; the rest are counted.
  static constexpr size_t kMaxListedProblems = 50;

  // Loads and checks both files (or splits the training file by validation_ratio, per
  // task, with a seeded shuffle). Throws DataError listing every problem found.
  explicit JsonlSuite(JsonlSuiteConfig config);

  const std::vector<TaskInfo>& tasks() const override { return tasks_; }
  Example train_example(int task, uint64_t draw) const override;
  int64_t n_train_examples(int task) const override;
  const std::vector<Example>& validation_examples(int task) const override;
  std::string alphabet() const override { return alphabet_; }

  const JsonlSuiteConfig& config() const { return config_; }

 private:
  void check_task(int task) const;

  JsonlSuiteConfig config_;
  std::vector<TaskInfo> tasks_;
  std::vector<std::vector<Example>> train_;
  std::vector<std::vector<Example>> validation_;
  std::string alphabet_;
};

}  // namespace tensorpoly::data
