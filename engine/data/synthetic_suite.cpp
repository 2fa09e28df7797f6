// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/synthetic_suite.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "data/primitives.h"

namespace tensorpoly::data {
namespace {

// Stream tags, so that validation, pools and on-the-fly draws never share random numbers.
constexpr uint64_t kValidationStream = 1;
constexpr uint64_t kPoolStream = 2;
constexpr uint64_t kDrawStream = 3;
constexpr uint64_t kSelectionStream = 4;
constexpr uint64_t kTagStream = 5;
constexpr uint64_t kProbeSeed = 0x70726F6265ULL;  // fixed: the candidate list ignores the seed
constexpr int kMaxAttempts = 100000;

std::string join(const std::vector<std::string>& names, const char* separator) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : separator) + name;
  return out;
}

std::vector<std::string> names_of(PrimitiveKind kind) {
  std::vector<std::string> names;
  for (const auto& p : primitives()) {
    if (p.kind == kind) names.push_back(p.name);
  }
  return names;
}

// What a sequence of primitives does to a fixed set of probe strings; two sequences with
// the same behaviour are the same task.
class BehaviourProbe {
 public:
  explicit BehaviourProbe(const SyntheticSuiteConfig& config) : alphabet_(config.alphabet) {
    Rng rng(kProbeSeed);
    // Longer strings than the suite's expose differences that short ones might hide.
    for (int i = 0; i < 96; ++i) {
      const auto length = rng.between(config.min_length, std::max(config.max_length, 12));
      std::string text;
      for (int64_t j = 0; j < length; ++j) text.push_back(alphabet_[rng.below(alphabet_.size())]);
      probes_.push_back(text);
    }
  }
  std::string signature(const std::vector<std::string>& sequence) const {
    std::string out;
    for (const auto& probe : probes_) out += apply_primitives(sequence, probe, alphabet_) + '\x1f';
    return out;
  }

 private:
  std::string alphabet_;
  std::vector<std::string> probes_;
};

void sequences(const std::vector<std::string>& names, int steps, std::vector<std::string>& prefix,
               std::vector<std::vector<std::string>>& out) {
  if (static_cast<int>(prefix.size()) == steps) {
    out.push_back(prefix);
    return;
  }
  for (const auto& name : names) {
    if (std::find(prefix.begin(), prefix.end(), name) != prefix.end()) continue;  // distinct
    prefix.push_back(name);
    sequences(names, steps, prefix, out);
    prefix.pop_back();
  }
}

std::string family_of(const SyntheticSuiteConfig& config, const std::vector<std::string>& seq) {
  return config.layout == "families" ? seq.front() : std::string();
}

std::vector<std::string> unique_skills(const std::vector<std::string>& seq) {
  std::vector<std::string> skills;
  for (const auto& name : seq) {
    if (std::find(skills.begin(), skills.end(), name) == skills.end()) skills.push_back(name);
  }
  return skills;
}

}  // namespace

std::vector<std::vector<std::string>> SyntheticSuite::candidate_tasks(
    const SyntheticSuiteConfig& config) {
  const BehaviourProbe probe(config);
  std::set<std::string> seen = {probe.signature({})};
  std::vector<std::vector<std::string>> candidates;
  auto keep_if_new = [&](const std::vector<std::string>& seq) {
    if (seen.insert(probe.signature(seq)).second) candidates.push_back(seq);
  };
  if (config.layout == "families") {
    // A modifier alone is not a family task; a family primitive that acts as one (e.g.
    // drop_vowels over an alphabet without vowels) must not pass for a family.
    for (const auto& modifier : names_of(PrimitiveKind::kModifier)) {
      seen.insert(probe.signature({modifier}));
    }
    for (const auto& family : names_of(PrimitiveKind::kFamily)) {
      keep_if_new({family});
      for (const auto& modifier : names_of(PrimitiveKind::kModifier))
        keep_if_new({family, modifier});
    }
    return candidates;
  }
  std::vector<std::string> all;
  for (const auto& p : primitives()) all.push_back(p.name);
  // Shorter compositions first, so a longer one that behaves like one of them is dropped.
  for (int steps = 1; steps <= config.steps; ++steps) {
    std::vector<std::vector<std::string>> of_length;
    std::vector<std::string> prefix;
    sequences(all, steps, prefix, of_length);
    for (const auto& seq : of_length) {
      if (steps < config.steps) {
        seen.insert(probe.signature(seq));
      } else {
        keep_if_new(seq);
      }
    }
  }
  return candidates;
}

SyntheticSuite::SyntheticSuite(SyntheticSuiteConfig config) : config_(std::move(config)) {
  SuiteConfig whole;
  whole.kind = "synthetic";
  whole.synthetic = config_;
  validate(whole);

  const auto candidates = candidate_tasks(config_);
  const size_t wanted = static_cast<size_t>(config_.n_tasks) + config_.n_heldout;
  if (candidates.size() < wanted) {
    throw ConfigError(
        "suite.n_tasks",
        "the \"" + config_.layout + "\" layout over alphabet \"" + config_.alphabet + "\" has " +
            std::to_string(candidates.size()) +
            " distinct tasks, fewer than n_tasks + n_heldout = " + std::to_string(wanted));
  }

  // Pick `wanted` candidates. Families: round-robin over the families (in a seeded
  // order), each family's bare primitive first, then its modifiers in a seeded order,
  // so that the families stay balanced. Compositions: a seeded sample.
  Rng rng(mix_keys({config_.seed, kSelectionStream}));
  std::vector<size_t> chosen;
  if (config_.layout == "families") {
    std::map<std::string, std::vector<size_t>> by_family;
    std::vector<std::string> family_order;
    for (size_t i = 0; i < candidates.size(); ++i) {
      const auto& family = candidates[i].front();
      if (!by_family.count(family)) family_order.push_back(family);
      by_family[family].push_back(i);
    }
    rng.shuffle(family_order);
    for (auto& [family, members] : by_family) {
      // members[0] is the bare primitive when it survived de-duplication.
      const size_t first_modifier = candidates[members.front()].size() == 1 ? 1 : 0;
      std::vector<size_t> rest(members.begin() + first_modifier, members.end());
      rng.shuffle(rest);
      std::copy(rest.begin(), rest.end(), members.begin() + first_modifier);
    }
    for (size_t round = 0; chosen.size() < wanted; ++round) {
      for (const auto& family : family_order) {
        const auto& members = by_family[family];
        if (round < members.size() && chosen.size() < wanted) chosen.push_back(members[round]);
      }
    }
  } else {
    std::vector<size_t> order(candidates.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    rng.shuffle(order);
    chosen.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(wanted));
  }

  // Held-out tasks: in a seeded order, take a task when every primitive it uses is still
  // used by some training task (few-shot adaptation recombines known skills), from the
  // family with the most training tasks left (so families stay balanced); tasks of one
  // primitive, or ones whose skills are not covered, only as a last resort.
  std::vector<size_t> heldout;
  {
    std::vector<size_t> order = chosen;
    rng.shuffle(order);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return candidates[a].size() > candidates[b].size();
    });
    auto is_heldout = [&](size_t task) {
      return std::find(heldout.begin(), heldout.end(), task) != heldout.end();
    };
    auto covered_without = [&](size_t task) {
      for (const auto& name : candidates[task]) {
        bool found = false;
        for (size_t other : chosen) {
          if (other == task || is_heldout(other)) continue;
          const auto& seq = candidates[other];
          if (std::find(seq.begin(), seq.end(), name) != seq.end()) found = true;
        }
        if (!found) return false;
      }
      return true;
    };
    auto training_left = [&](const std::string& family) {
      return std::count_if(chosen.begin(), chosen.end(), [&](size_t other) {
        return !is_heldout(other) && family_of(config_, candidates[other]) == family;
      });
    };
    for (bool strict : {true, false}) {
      while (heldout.size() < static_cast<size_t>(config_.n_heldout)) {
        std::ptrdiff_t best_left = -1;
        size_t best = 0;
        for (size_t task : order) {
          if (is_heldout(task) ||
              (strict && (candidates[task].size() < 2 || !covered_without(task)))) {
            continue;
          }
          const auto left = training_left(family_of(config_, candidates[task]));
          if (left > best_left) {
            best_left = left;
            best = task;
          }
        }
        if (best_left < 0) break;
        heldout.push_back(best);
      }
    }
  }

  // Training tasks first, then held-out ones; each group in canonical order, which
  // keeps a family's tasks next to each other.
  std::vector<size_t> training;
  for (size_t task : chosen) {
    if (!std::count(heldout.begin(), heldout.end(), task)) training.push_back(task);
  }
  std::sort(training.begin(), training.end());
  std::sort(heldout.begin(), heldout.end());
  auto add_task = [&](size_t candidate, const char* split) {
    TaskInfo info;
    info.index = static_cast<int>(tasks_.size());
    info.name = join(candidates[candidate], "+");
    info.family = family_of(config_, candidates[candidate]);
    info.skills = unique_skills(candidates[candidate]);
    info.split = split;
    tasks_.push_back(info);
    TaskData data;
    data.primitives = candidates[candidate];
    data_.push_back(std::move(data));
  };
  for (size_t task : training) add_task(task, "train");
  for (size_t task : heldout) add_task(task, "heldout");
  assign_tags();

  // Fixed validation sets, then the training pools that avoid them.
  for (int task = 0; task < n_tasks(); ++task) {
    auto& data = data_[task];
    const uint64_t task_key = hash_string(tasks_[task].name);
    Rng validation_rng(mix_keys({config_.seed, task_key, kValidationStream}));
    for (int attempt = 0; static_cast<int>(data.validation.size()) < config_.n_validation;
         ++attempt) {
      check_attempts(task, attempt);
      const auto text = draw_string(task, validation_rng, false);
      if (data.validation_inputs.insert(text).second)
        data.validation.push_back(make_example(task, text));
    }
    const int pool_size = config_.n_train_examples;
    Rng pool_rng(mix_keys({config_.seed, task_key, kPoolStream}));
    std::unordered_set<std::string> in_pool;
    for (int attempt = 0; static_cast<int>(data.train_pool.size()) < pool_size; ++attempt) {
      check_attempts(task, attempt);
      const auto text = draw_string(task, pool_rng, true);
      if (in_pool.insert(text).second) data.train_pool.push_back(make_example(task, text));
    }
  }
}

void SyntheticSuite::assign_tags() {
  // A seeded permutation of 0..n-1 (training and held-out tasks alike), so neither a
  // tag's number nor its order says anything about the task's primitives or split.
  std::vector<size_t> numbers(tasks_.size());
  for (size_t i = 0; i < numbers.size(); ++i) numbers[i] = i;
  Rng rng(mix_keys({config_.seed, kTagStream}));
  rng.shuffle(numbers);
  const size_t width = std::max<size_t>(2, std::to_string(tasks_.size() - 1).size());
  for (size_t task = 0; task < tasks_.size(); ++task) {
    std::string digits = std::to_string(numbers[task]);
    data_[task].tag = "t" + std::string(width - digits.size(), '0') + digits;
  }
}

std::string SyntheticSuite::task_tag(int task) const {
  check_task(task);
  return data_[task].tag;
}

void SyntheticSuite::check_attempts(int task, int attempt) const {
  if (attempt < kMaxAttempts) return;
  throw std::runtime_error("SyntheticSuite: task '" + tasks_[task].name +
                           "' found too few distinct inputs in " + std::to_string(kMaxAttempts) +
                           " draws; widen suite.alphabet or the length range");
}

void SyntheticSuite::check_task(int task) const {
  if (task < 0 || task >= n_tasks()) {
    throw std::out_of_range("SyntheticSuite: task " + std::to_string(task) + " not in [0, " +
                            std::to_string(n_tasks()) + ")");
  }
}

Example SyntheticSuite::make_example(int task, const std::string& text) const {
  check_task(task);
  Example example;
  example.task = task;
  if (config_.task_prefix == "id") {
    example.input = data_[task].tag + ": " + text;
  } else if (config_.task_prefix == "name") {
    example.input = tasks_[task].name + ": " + text;
  } else {
    example.input = text;
  }
  example.target = apply_primitives(data_[task].primitives, text, config_.alphabet);
  return example;
}

std::string SyntheticSuite::random_string(Rng& rng) const {
  const auto length = rng.between(config_.min_length, config_.max_length);
  std::string text;
  for (int64_t i = 0; i < length; ++i)
    text.push_back(config_.alphabet[rng.below(config_.alphabet.size())]);
  return text;
}

std::string SyntheticSuite::draw_string(int task, Rng& rng, bool avoid_validation) const {
  const auto& data = data_[task];
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto text = random_string(rng);
    if (avoid_validation && data.validation_inputs.count(text)) continue;
    if (apply_primitives(data.primitives, text, config_.alphabet).empty()) continue;
    return text;
  }
  check_attempts(task, kMaxAttempts);
  return {};
}

Example SyntheticSuite::train_example(int task, uint64_t draw) const {
  check_task(task);
  const auto& pool = data_[task].train_pool;
  if (!pool.empty()) return pool[draw % pool.size()];
  Rng rng(mix_keys({config_.seed, hash_string(tasks_[task].name), kDrawStream, draw}));
  return make_example(task, draw_string(task, rng, true));
}

int64_t SyntheticSuite::n_train_examples(int task) const {
  check_task(task);
  return static_cast<int64_t>(data_[task].train_pool.size());
}

const std::vector<Example>& SyntheticSuite::validation_examples(int task) const {
  check_task(task);
  return data_[task].validation;
}

}  // namespace tensorpoly::data
