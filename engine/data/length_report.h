// Token lengths of a suite's examples against the batcher's limits: which limits a run
// uses (given, or from the data) and how many examples each task has beyond them, so that
// nothing is cut silently. Lengths count the eos the batcher appends.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/task_suite.h"
#include "data/tokenizer.h"

namespace tensorpoly::data {

struct TaskLengths {
  std::string task;
  int64_t examples = 0;  // measured (training pool, validation; choices as targets)
  int64_t longest_source = 0;
  int64_t longest_target = 0;
  int64_t over_source = 0;  // examples whose input exceeds the source limit
  int64_t over_target = 0;  // examples whose target (or a choice) exceeds the target limit
};

struct LengthReport {
  int64_t max_source_length = 0;  // the limits in force
  int64_t max_target_length = 0;
  bool source_from_data = false;  // the limit was 0 in the config: longest, capped
  bool target_from_data = false;
  std::vector<TaskLengths> tasks;  // in the suite's task order

  int64_t over_source() const;
  int64_t over_target() const;
  // One line for the terminal and the run's log: the limits, and the over-long examples
  // per task ("limits 87/12 tokens (from the data); 3 inputs over the limit: qa 2, nli 1").
  std::string summary() const;
};

// Measures every fixed example of `suite` (training pools and validation examples; a task
// generated on the fly has only its validation examples measured) with `tokenizer`.
// A limit of 0 becomes the longest measured length, capped at `cap_source` /
// `cap_target`.
LengthReport measure_lengths(const TaskSuite& suite, const Tokenizer& tokenizer,
                             int64_t max_source_length, int64_t max_target_length,
                             int64_t cap_source, int64_t cap_target);

}  // namespace tensorpoly::data
