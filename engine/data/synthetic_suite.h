// The built-in suite: string transformations composed from known primitive skills
// (primitives.h), so that whether routing found the structure can be checked against
// ground truth. Everything is a pure function of the configuration and its seed.
//
// Layouts (SyntheticSuiteConfig::layout):
//   "families"     a family primitive (shift, upper, duplicate, drop_vowels), alone or
//                  followed by one letter-keeping modifier; family label = that primitive.
//   "compositions" `steps` distinct primitives in sequence (at most one duplicate, so
//                  outputs stay bounded); the truth is which primitives a task contains.
// Candidate tasks that behave identically to another candidate, to the identity, or
// (compositions) to a shorter composition are dropped, so that names and skills are
// meaningful. Held-out tasks use only primitives that some training task also uses.
// Inputs carry the task's opaque tag, its name or nothing (SyntheticSuiteConfig::task_prefix).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "data/random.h"
#include "data/task_suite.h"

namespace tensorpoly::data {

class SyntheticSuite : public TaskSuite {
 public:
  // Throws ConfigError when the configuration is invalid or the layout does not
  // offer n_tasks + n_heldout distinct tasks.
  explicit SyntheticSuite(SyntheticSuiteConfig config);

  const std::vector<TaskInfo>& tasks() const override { return tasks_; }
  Example train_example(int task, uint64_t draw) const override;
  int64_t n_train_examples(int task) const override;
  const std::vector<Example>& validation_examples(int task) const override;
  // The configured lower-case alphabet (upper case comes from pre-training's case mix).
  std::string alphabet() const override { return config_.alphabet; }

  // The opaque tag ("t07") that prefixes the task's inputs in task_prefix mode "id".
  std::string task_tag(int task) const override;

  const SyntheticSuiteConfig& config() const { return config_; }
  // The example for a raw string: its target, and the input with the task prefix of the
  // configured mode (tag, name or none).
  Example make_example(int task, const std::string& text) const;

  // Every distinct task of a layout, each as primitive names in application order, in a
  // canonical order (before the seed picks n_tasks + n_heldout of them).
  static std::vector<std::vector<std::string>> candidate_tasks(const SyntheticSuiteConfig& config);

 private:
  struct TaskData {
    std::vector<std::string> primitives;
    std::vector<Example> validation;
    std::unordered_set<std::string> validation_inputs;  // raw strings, without prefix
    std::vector<Example> train_pool;                    // empty: generate on the fly
    std::string tag;                                    // "t07"
  };

  void assign_tags();

  void check_task(int task) const;
  void check_attempts(int task, int attempt) const;  // throws past the limit
  std::string random_string(Rng& rng) const;
  // A raw string from rng whose target is not empty and that is not a validation input
  // of the task (when avoid_validation).
  std::string draw_string(int task, Rng& rng, bool avoid_validation) const;

  SyntheticSuiteConfig config_;
  std::vector<TaskInfo> tasks_;
  std::vector<TaskData> data_;
};

}  // namespace tensorpoly::data
