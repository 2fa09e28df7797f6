// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/synthetic_suite.h"

#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <set>

#include "data/primitives.h"

namespace tensorpoly::data {
namespace {

SyntheticSuiteConfig families(uint64_t seed = 0) {
  SyntheticSuiteConfig config;
  config.seed = seed;
  return config;
}

SyntheticSuiteConfig compositions(uint64_t seed = 0) {
  SyntheticSuiteConfig config;
  config.layout = "compositions";
  config.seed = seed;
  return config;
}

std::vector<std::string> split_name(const std::string& name) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t plus; (plus = name.find('+', start)) != std::string::npos; start = plus + 1) {
    parts.push_back(name.substr(start, plus - start));
  }
  parts.push_back(name.substr(start));
  return parts;
}

std::string raw(const std::string& input) { return input.substr(input.find(": ") + 2); }

// "t07" for 7: the tag a task would get if tags simply followed the task order.
std::string tags_at(int index) { return (index < 10 ? "t0" : "t") + std::to_string(index); }

TEST(SyntheticSuite, DefaultHas18TrainingAnd3HeldOutTasks) {
  const SyntheticSuite suite(families());
  ASSERT_EQ(suite.n_tasks(), 21);
  EXPECT_EQ(suite.task_indices("train").size(), 18u);
  EXPECT_EQ(suite.task_indices("heldout").size(), 3u);
  for (int i = 0; i < suite.n_tasks(); ++i) {
    EXPECT_EQ(suite.tasks()[i].index, i);
    EXPECT_EQ(suite.tasks()[i].split, i < 18 ? "train" : "heldout");  // training tasks first
  }
  std::set<std::string> names;
  for (const auto& task : suite.tasks()) EXPECT_TRUE(names.insert(task.name).second) << task.name;
}

TEST(SyntheticSuite, FamiliesLayoutCarriesFamilyAndSkills) {
  const SyntheticSuite suite(families());
  std::map<std::string, int> per_family;
  for (const auto& task : suite.tasks()) {
    const auto parts = split_name(task.name);
    ASSERT_GE(parts.size(), 1u);
    ASSERT_LE(parts.size(), 2u);
    EXPECT_EQ(task.family, parts[0]);
    EXPECT_EQ(primitive(parts[0]).kind, PrimitiveKind::kFamily) << task.name;
    if (parts.size() == 2) {
      EXPECT_EQ(primitive(parts[1]).kind, PrimitiveKind::kModifier) << task.name;
    }
    EXPECT_EQ(task.skills, parts);
    if (task.split == "train") ++per_family[task.family];
  }
  // Four families, balanced: 18 training tasks (+3 held out) round-robin.
  ASSERT_EQ(per_family.size(), 4u);
  for (const auto& [family, count] : per_family) {
    EXPECT_GE(count, 4) << family;
    EXPECT_LE(count, 6) << family;
  }
}

TEST(SyntheticSuite, TargetsFollowTheTaskPrimitives) {
  const SyntheticSuite suite(families());
  for (const auto& task : suite.tasks()) {
    for (const auto& example : suite.validation_examples(task.index)) {
      EXPECT_EQ(example.task, task.index);
      EXPECT_EQ(example.input.rfind(suite.task_tag(task.index) + ": ", 0), 0u) << example.input;
      EXPECT_EQ(example.target, apply_primitives(task.skills, raw(example.input), "abcdefgh"));
      EXPECT_FALSE(example.target.empty());
      EXPECT_FALSE(example.rank_classification());
    }
  }
  // A hand-checked example.
  const int shift_task = suite.task_index("shift");
  ASSERT_GE(shift_task, 0);
  const auto example = suite.make_example(shift_task, "abgh");
  EXPECT_EQ(example.input, suite.task_tag(shift_task) + ": abgh");
  EXPECT_EQ(example.target, "bcha");
}

TEST(SyntheticSuite, DuplicateTasksAreDropped) {
  // duplicate followed by swap_pairs is duplicate itself; it must not be a task.
  const auto candidates = SyntheticSuite::candidate_tasks(families());
  for (const auto& seq : candidates) {
    EXPECT_NE(seq, (std::vector<std::string>{"duplicate", "swap_pairs"}));
  }
  EXPECT_EQ(candidates.size(), 4u * 7u - 1u);
  // Without vowels in the alphabet drop_vowels is the identity: no such family.
  auto no_vowels = families();
  no_vowels.alphabet = "bcdfgh";
  for (const auto& seq : SyntheticSuite::candidate_tasks(no_vowels))
    EXPECT_NE(seq[0], "drop_vowels");
}

TEST(SyntheticSuite, CompositionsAreDistinctTwoStepCompositions) {
  const SyntheticSuite suite(compositions());
  ASSERT_EQ(suite.n_tasks(), 21);
  std::set<std::string> train_skills;
  for (const auto& task : suite.tasks()) {
    ASSERT_EQ(task.skills.size(), 2u) << task.name;
    EXPECT_NE(task.skills[0], task.skills[1]);
    EXPECT_EQ(task.family, "");
    EXPECT_EQ(split_name(task.name), task.skills);
    if (task.split == "train") train_skills.insert(task.skills.begin(), task.skills.end());
  }
  // Commuting pairs (shift then reverse == reverse then shift) appear once.
  const auto candidates = SyntheticSuite::candidate_tasks(compositions());
  int both = 0;
  for (const auto& seq : candidates) {
    if (seq == std::vector<std::string>{"reverse", "shift"} ||
        seq == std::vector<std::string>{"shift", "reverse"}) {
      ++both;
    }
    // sort after any other modifier is sort alone: not a 2-step task.
    if (seq[1] == "sort") {
      EXPECT_EQ(primitive(seq[0]).kind, PrimitiveKind::kFamily);
    }
  }
  EXPECT_EQ(both, 1);
}

TEST(SyntheticSuite, HeldOutTasksUseOnlySkillsSeenInTraining) {
  for (uint64_t seed : {0u, 1u, 2u, 3u}) {
    for (const auto& config : {families(seed), compositions(seed)}) {
      const SyntheticSuite suite(config);
      std::set<std::string> train_skills;
      for (int task : suite.task_indices("train")) {
        const auto& skills = suite.tasks()[task].skills;
        train_skills.insert(skills.begin(), skills.end());
      }
      for (int task : suite.task_indices("heldout")) {
        EXPECT_EQ(suite.tasks()[task].skills.size(), 2u);
        for (const auto& skill : suite.tasks()[task].skills) {
          EXPECT_TRUE(train_skills.count(skill))
              << config.layout << " seed " << seed << ": " << skill;
        }
      }
    }
  }
}

TEST(SyntheticSuite, IsDeterministicForASeed) {
  for (const auto& make : {families, compositions}) {
    const SyntheticSuite a(make(7)), b(make(7)), c(make(8));
    ASSERT_EQ(a.n_tasks(), b.n_tasks());
    bool same_tasks_as_c = true;
    for (int t = 0; t < a.n_tasks(); ++t) {
      EXPECT_EQ(a.tasks()[t].name, b.tasks()[t].name);
      EXPECT_EQ(a.tasks()[t].split, b.tasks()[t].split);
      same_tasks_as_c = same_tasks_as_c && a.tasks()[t].name == c.tasks()[t].name &&
                        a.tasks()[t].split == c.tasks()[t].split;
      ASSERT_EQ(a.validation_examples(t).size(), 64u);
      for (size_t i = 0; i < a.validation_examples(t).size(); ++i) {
        EXPECT_EQ(a.validation_examples(t)[i].input, b.validation_examples(t)[i].input);
      }
      for (uint64_t draw : {0u, 1u, 99u}) {
        EXPECT_EQ(a.train_example(t, draw).input, b.train_example(t, draw).input);
      }
    }
    EXPECT_FALSE(same_tasks_as_c) << "another seed should pick other tasks or held-out ones";
    // Another seed gives other validation inputs for the same task name.
    const int t = a.task_index(c.tasks()[0].name);
    if (t >= 0) {
      EXPECT_NE(a.validation_examples(t)[0].input, c.validation_examples(0)[0].input);
    }
  }
}

TEST(SyntheticSuite, ValidationIsFixedDistinctAndDisjointFromTraining) {
  const SyntheticSuite suite(families());
  for (int t = 0; t < suite.n_tasks(); ++t) {
    std::set<std::string> validation;
    for (const auto& e : suite.validation_examples(t)) {
      EXPECT_TRUE(validation.insert(e.input).second) << "repeated validation input " << e.input;
      const auto length = raw(e.input).size();
      EXPECT_GE(length, 4u);
      EXPECT_LE(length, 8u);
    }
    // Drawn on the fly, held-out tasks too (few-shot adaptation takes the first k).
    EXPECT_EQ(suite.n_train_examples(t), 0);
    for (uint64_t draw = 0; draw < 2000; ++draw) {
      const auto example = suite.train_example(t, draw);
      ASSERT_FALSE(validation.count(example.input)) << example.input;
    }
  }
}

TEST(SyntheticSuite, FixedPoolsRepeatByDraw) {
  auto config = families();
  config.n_train_examples = 10;
  const SyntheticSuite suite(config);
  const int train_task = suite.task_indices("train")[0];
  const int heldout_task = suite.task_indices("heldout")[0];
  EXPECT_EQ(suite.n_train_examples(train_task), 10);
  EXPECT_EQ(suite.n_train_examples(heldout_task), 10);
  EXPECT_EQ(suite.train_example(train_task, 3).input, suite.train_example(train_task, 13).input);
  std::set<std::string> pool;
  for (uint64_t d = 0; d < 10; ++d) pool.insert(suite.train_example(train_task, d).input);
  EXPECT_EQ(pool.size(), 10u);
}

// "id" (the default): an opaque tag per task, a seeded shuffle of t00..t20 over training
// and held-out tasks alike; "name": the task's name; "none": the bare string. The raw
// strings and targets are the same in every mode.
TEST(SyntheticSuite, TaskPrefixModes) {
  auto config = families();
  config.task_prefix = "none";
  const SyntheticSuite plain(config);
  config.task_prefix = "name";
  const SyntheticSuite named(config);
  const SyntheticSuite tagged(families());
  std::set<std::string> tags;
  for (int t = 0; t < plain.n_tasks(); ++t) {
    const auto& a = plain.validation_examples(t)[0];
    EXPECT_EQ(a.input.find(':'), std::string::npos);
    EXPECT_EQ(named.validation_examples(t)[0].input, plain.tasks()[t].name + ": " + a.input);
    const std::string tag = tagged.task_tag(t);
    ASSERT_EQ(tag.size(), 3u) << tag;
    EXPECT_EQ(tag[0], 't');
    EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(tag[1])) &&
                std::isdigit(static_cast<unsigned char>(tag[2])))
        << tag;
    EXPECT_TRUE(tags.insert(tag).second) << tag;
    EXPECT_EQ(tagged.validation_examples(t)[0].input, tag + ": " + a.input);
    EXPECT_EQ(tagged.train_example(t, 5).input, tag + ": " + plain.train_example(t, 5).input);
    EXPECT_EQ(a.target, tagged.validation_examples(t)[0].target);
  }
  EXPECT_EQ(tags.size(), 21u);
  EXPECT_EQ(*tags.begin(), "t00");
  EXPECT_EQ(*tags.rbegin(), "t20");
  // Tags follow neither the task order nor the families: another seed deals them anew,
  // and the seed-0 assignment is not the identity.
  int in_order = 0;
  for (int t = 0; t < tagged.n_tasks(); ++t) in_order += tagged.task_tag(t) == tags_at(t) ? 1 : 0;
  EXPECT_LT(in_order, tagged.n_tasks());
  auto other_seed = families(3);
  const SyntheticSuite reseeded(other_seed);
  std::map<std::string, std::string> tag_of_name, tag_of_name_reseeded;
  for (int t = 0; t < tagged.n_tasks(); ++t)
    tag_of_name[tagged.tasks()[t].name] = tagged.task_tag(t);
  int same = 0, shared = 0;
  for (int t = 0; t < reseeded.n_tasks(); ++t) {
    const auto found = tag_of_name.find(reseeded.tasks()[t].name);
    if (found == tag_of_name.end()) continue;
    ++shared;
    same += found->second == reseeded.task_tag(t) ? 1 : 0;
  }
  EXPECT_LT(same, shared);
}

TEST(SyntheticSuite, ConfigControlsLengthsAndAlphabet) {
  auto config = compositions(3);
  config.alphabet = "abcdefghijkl";
  config.min_length = 2;
  config.max_length = 3;
  config.n_tasks = 10;
  config.n_heldout = 2;
  config.task_prefix = "none";
  const SyntheticSuite suite(config);
  EXPECT_EQ(suite.n_tasks(), 12);
  for (int t = 0; t < suite.n_tasks(); ++t) {
    for (uint64_t draw = 0; draw < 50; ++draw) {
      const auto input = suite.train_example(t, draw).input;
      EXPECT_GE(input.size(), 2u);
      EXPECT_LE(input.size(), 3u);
      EXPECT_EQ(input.find_first_not_of("abcdefghijkl"), std::string::npos) << input;
    }
  }
}

TEST(SyntheticSuite, TooManyTasksNamesTheField) {
  auto config = families();
  config.n_tasks = 40;
  try {
    SyntheticSuite suite(config);
    FAIL() << "expected an exception";
  } catch (const ConfigError& error) {
    EXPECT_TRUE(error.names("suite.n_tasks")) << error.what();
    EXPECT_NE(std::string(error.what()).find("suite.n_tasks"), std::string::npos) << error.what();
  }
  config = compositions();
  config.steps = 1;
  config.n_tasks = 8;
  config.n_heldout = 2;
  EXPECT_EQ(SyntheticSuite(config).n_tasks(), 10);  // every single primitive
}

TEST(SyntheticSuite, ThreeStepCompositions) {
  auto config = compositions(5);
  config.steps = 3;
  const SyntheticSuite suite(config);
  for (const auto& task : suite.tasks()) {
    EXPECT_EQ(task.skills.size(), 3u) << task.name;
    EXPECT_LE(std::count(task.skills.begin(), task.skills.end(), "duplicate"), 1);
  }
}

}  // namespace
}  // namespace tensorpoly::data
