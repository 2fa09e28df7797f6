// What the model is told about a task: in every preset the inputs name neither the task
// nor any primitive (the default prefix is an opaque tag), and the few-shot examples of a
// held-out task are a fixed set of k.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "data/primitives.h"
#include "data/task_suite.h"
#include "tensorpoly/config.h"

namespace tensorpoly::data {
namespace {

// The names an input must not contain: every primitive's, and the names of the suite's
// tasks (compositions of primitives, so the first check already covers them).
std::set<std::string> forbidden_names(const TaskSuite& suite) {
  std::set<std::string> names;
  for (const auto& primitive : primitives()) names.insert(primitive.name);
  for (const auto& task : suite.tasks()) names.insert(task.name);
  return names;
}

void expect_no_name(const std::string& preset, const std::set<std::string>& names,
                    const Example& example) {
  for (const auto& name : names) {
    EXPECT_EQ(example.input.find(name), std::string::npos)
        << preset << ": input '" << example.input << "' contains '" << name << "'";
  }
}

TEST(TaskIdentity, NoInputOfAnyPresetNamesATaskOrPrimitive) {
  int checked = 0;
  for (const std::string& preset : preset_names()) {
    const ExperimentConfig config = load_preset(preset);
    if (config.suite.kind != "synthetic") continue;
    EXPECT_EQ(config.suite.synthetic.task_prefix, "id") << preset;
    const auto suite = make_task_suite(config.suite);
    const auto names = forbidden_names(*suite);
    for (const auto& task : suite->tasks()) {
      for (const auto& example : suite->validation_examples(task.index)) {
        expect_no_name(preset, names, example);
      }
      for (uint64_t draw = 0; draw < 64; ++draw) {
        expect_no_name(preset, names, suite->train_example(task.index, draw));
      }
      if (task.split == "heldout") {
        for (const auto& example : few_shot_examples(*suite, task.index, config.few_shot.k)) {
          expect_no_name(preset, names, example);
        }
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
}

// The control of the test above: with the names as prefix the same check finds them.
TEST(TaskIdentity, NamePrefixDoesSpellOutThePrimitives) {
  ExperimentConfig config = load_preset("default");
  config.suite.synthetic.task_prefix = "name";
  const auto suite = make_task_suite(config.suite);
  for (const auto& task : suite->tasks()) {
    const std::string input = suite->validation_examples(task.index).front().input;
    for (const auto& skill : task.skills) {
      EXPECT_NE(input.find(skill), std::string::npos) << input;
    }
  }
}

TEST(TaskIdentity, FewShotExamplesAreTheFirstKDistinctTrainingExamples) {
  SuiteConfig config;
  config.synthetic.n_tasks = 4;
  config.synthetic.n_heldout = 1;
  const auto suite = make_task_suite(config);
  const int heldout = suite->task_indices("heldout").front();
  const auto examples = few_shot_examples(*suite, heldout, 12);
  ASSERT_EQ(examples.size(), 12u);
  std::set<std::string> inputs;
  for (const auto& example : examples) {
    EXPECT_EQ(example.task, heldout);
    EXPECT_TRUE(inputs.insert(example.input).second) << example.input;
  }
  EXPECT_EQ(examples.front().input, suite->train_example(heldout, 0).input);
  // The same k whoever asks (every method and seed adapts on them).
  const auto again = few_shot_examples(*suite, heldout, 12);
  for (size_t i = 0; i < examples.size(); ++i) EXPECT_EQ(again[i].input, examples[i].input);

  // A fixed pool smaller than k cannot give k examples: the field is named.
  config.synthetic.n_train_examples = 5;
  const auto pooled = make_task_suite(config);
  EXPECT_EQ(few_shot_examples(*pooled, heldout, 5).size(), 5u);
  try {
    few_shot_examples(*pooled, heldout, 6);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_TRUE(error.names("few_shot.k")) << error.what();
    EXPECT_NE(std::string(error.what()).find("has 5 distinct training examples, fewer than k = 6"),
              std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace tensorpoly::data
