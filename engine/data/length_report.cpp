// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/length_report.h"

#include <algorithm>

namespace tensorpoly::data {
namespace {

int64_t length_of(const Tokenizer& tokenizer, const std::string& text) {
  return static_cast<int64_t>(tokenizer.encode(text).size()) + 1;  // + eos
}

struct Measured {
  int64_t source = 0;
  int64_t target = 0;  // the longest of the target and the choices
};

Measured measure(const Tokenizer& tokenizer, const Example& example) {
  Measured m;
  m.source = length_of(tokenizer, example.input);
  m.target = length_of(tokenizer, example.target);
  for (const std::string& choice : example.choices) {
    m.target = std::max(m.target, length_of(tokenizer, choice));
  }
  return m;
}

std::string over_list(const std::vector<TaskLengths>& tasks, int64_t TaskLengths::*field) {
  std::string text;
  for (const TaskLengths& task : tasks) {
    if (task.*field == 0) continue;
    text += (text.empty() ? "" : ", ") + task.task + " " + std::to_string(task.*field);
  }
  return text;
}

}  // namespace

int64_t LengthReport::over_source() const {
  int64_t n = 0;
  for (const TaskLengths& task : tasks) n += task.over_source;
  return n;
}

int64_t LengthReport::over_target() const {
  int64_t n = 0;
  for (const TaskLengths& task : tasks) n += task.over_target;
  return n;
}

std::string LengthReport::summary() const {
  std::string text = "token limits: source " + std::to_string(max_source_length) +
                     (source_from_data ? " (from the data)" : "") + ", target " +
                     std::to_string(max_target_length) +
                     (target_from_data ? " (from the data)" : "");
  if (over_source() == 0 && over_target() == 0) return text + "; no example is over a limit";
  if (over_source() > 0) {
    text += "; " + std::to_string(over_source()) + " input(s) over the source limit, cut to it: " +
            over_list(tasks, &TaskLengths::over_source);
  }
  if (over_target() > 0) {
    text += "; " + std::to_string(over_target()) + " target(s) over the target limit, cut to it: " +
            over_list(tasks, &TaskLengths::over_target);
  }
  return text;
}

LengthReport measure_lengths(const TaskSuite& suite, const Tokenizer& tokenizer,
                             int64_t max_source_length, int64_t max_target_length,
                             int64_t cap_source, int64_t cap_target) {
  std::vector<std::vector<Measured>> per_task(suite.tasks().size());
  int64_t longest_source = 1, longest_target = 1;
  LengthReport report;
  for (int task = 0; task < suite.n_tasks(); ++task) {
    auto& measured = per_task[static_cast<size_t>(task)];
    const int64_t pool = suite.n_train_examples(task);
    for (int64_t draw = 0; draw < pool; ++draw) {
      measured.push_back(
          measure(tokenizer, suite.train_example(task, static_cast<uint64_t>(draw))));
    }
    for (const Example& example : suite.validation_examples(task)) {
      measured.push_back(measure(tokenizer, example));
    }
    TaskLengths lengths;
    lengths.task = suite.tasks()[static_cast<size_t>(task)].name;
    lengths.examples = static_cast<int64_t>(measured.size());
    for (const Measured& m : measured) {
      lengths.longest_source = std::max(lengths.longest_source, m.source);
      lengths.longest_target = std::max(lengths.longest_target, m.target);
    }
    longest_source = std::max(longest_source, lengths.longest_source);
    longest_target = std::max(longest_target, lengths.longest_target);
    report.tasks.push_back(lengths);
  }
  report.source_from_data = max_source_length == 0;
  report.target_from_data = max_target_length == 0;
  report.max_source_length =
      report.source_from_data ? std::min(longest_source, cap_source) : max_source_length;
  report.max_target_length =
      report.target_from_data ? std::min(longest_target, cap_target) : max_target_length;
  for (size_t task = 0; task < per_task.size(); ++task) {
    for (const Measured& m : per_task[task]) {
      if (m.source > report.max_source_length) ++report.tasks[task].over_source;
      if (m.target > report.max_target_length) ++report.tasks[task].over_target;
    }
  }
  return report;
}

}  // namespace tensorpoly::data
