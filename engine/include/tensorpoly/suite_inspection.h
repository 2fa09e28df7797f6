// What a configured task suite holds, as the model sees it, without training anything:
// every task with the opaque tag its inputs start with and its ground truth, and its
// examples split by split (tensorpoly-run suite). Researchers look at their data first.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensorpoly/config.h"
#include "tensorpoly/events.h"

namespace tensorpoly {

struct SuiteTask {
  TaskInfo info;    // name, family, skills (the primitives, in order), split
  std::string tag;  // "t07" (suite.task_prefix "id"); "" when the suite has no tags
};

struct SuiteExample {
  std::string task;   // the task's name
  std::string split;  // "train", "validation" or "heldout"
  std::string input;  // exactly what the encoder reads (prefix included)
  std::string target;
  std::vector<std::string> choices;  // empty unless rank-classified
};

// The splits suite_examples() knows, in the order it lists them without a choice:
// "train" (the training tasks' training examples in draw order), "validation" (every
// task's fixed validation examples), "heldout" (each held-out task's few_shot.k examples:
// what few-shot adaptation trains on).
const std::vector<std::string>& suite_splits();

// Throws ConfigError for a bad configuration, std::runtime_error for unreadable data.
std::vector<SuiteTask> describe_suite_tasks(const ExperimentConfig& config);
// At most `limit` examples per task of `split` (one of suite_splits()); throws
// std::invalid_argument for another split or a limit < 1.
std::vector<SuiteExample> suite_examples(const ExperimentConfig& config, const std::string& split,
                                         int64_t limit);

}  // namespace tensorpoly
