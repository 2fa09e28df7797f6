// The one interface every task suite implements (the built-in synthetic suite, JSONL
// files): the task list with its ground truth, training examples addressed by a random
// draw, and fixed validation examples per task.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tensorpoly/events.h"
#include "tensorpoly/suite_config.h"

namespace tensorpoly::data {

struct Example {
  int task = 0;       // index into TaskSuite::tasks()
  std::string input;  // encoder text, task-name prefix already applied
  std::string target;
  std::vector<std::string> choices;  // answer options; target is one of them

  // Examples with choices are scored by rank classification (T0's protocol: the choice
  // with the lowest loss is the prediction), the others by exact match of the decoded
  // output.
  bool rank_classification() const { return !choices.empty(); }
};

class TaskSuite {
 public:
  virtual ~TaskSuite() = default;

  // Tasks with split "train" come first, then the held-out ones; TaskInfo::index is the
  // position in this list and the task id the batcher writes.
  virtual const std::vector<TaskInfo>& tasks() const = 0;

  // The training example of `task` for one random draw; a pure function of (task, draw).
  // A suite with a fixed pool of n examples returns pool[draw % n], so draws 0..n-1 list
  // the pool; a suite that generates examples on the fly never repeats its validation
  // inputs.
  virtual Example train_example(int task, uint64_t draw) const = 0;

  // Size of the task's fixed training pool; 0 when examples are generated on the fly.
  virtual int64_t n_train_examples(int task) const = 0;

  // Fixed for the suite's seed, disjoint from the training examples.
  virtual const std::vector<Example>& validation_examples(int task) const = 0;

  // The characters of the suite's strings (bytes, sorted, distinct), the alphabet the
  // base model is pre-trained on.
  virtual std::string alphabet() const = 0;

  // The opaque tag the task's inputs start with ("t07"); "" when the suite has none.
  virtual std::string task_tag(int /*task*/) const { return {}; }

  int n_tasks() const { return static_cast<int>(tasks().size()); }
  // Indices of the tasks with this split ("train" or "heldout"), in order.
  std::vector<int> task_indices(const std::string& split) const;
  // -1 when no task has this name.
  int task_index(const std::string& name) const;
};

// The `k` examples a task is adapted on in few-shot adaptation: its first k training
// examples with distinct inputs, in draw order (draws 0, 1, 2, ...; a suite with a fixed
// pool lists the pool), so every method and seed adapts on the same k. Throws ConfigError
// for "few_shot.k" when the task has fewer than k distinct training examples.
std::vector<Example> few_shot_examples(const TaskSuite& suite, int task, int64_t k);

// The suite a configuration describes (validated first). Throws ConfigError for a
// bad configuration and DataError for bad data files.
std::unique_ptr<TaskSuite> make_task_suite(const SuiteConfig& config);

// Problems found in data files, each "file:line: field 'x': what was expected", all
// collected before anything runs (up to a limit, then a count of the rest).
class DataError : public std::runtime_error {
 public:
  explicit DataError(std::vector<std::string> problems, int64_t n_more = 0);
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

}  // namespace tensorpoly::data
