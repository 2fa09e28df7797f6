// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/jsonl_suite.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "data/random.h"

namespace tensorpoly::data {
namespace {

constexpr uint64_t kSplitStream = 5;

std::string where(const std::string& path, int line) { return path + ":" + std::to_string(line); }

bool is_blank(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

// Reads a required string field; reports a missing or mistyped field.
bool read_string(const nlohmann::json& object, const char* field, const std::string& at,
                 std::string& out, std::vector<std::string>& problems) {
  if (!object.contains(field)) {
    problems.push_back(at + ": field '" + field + "': missing (a string is required)");
    return false;
  }
  const auto& value = object.at(field);
  if (!value.is_string()) {
    problems.push_back(at + ": field '" + field + "': expected a string, got " + value.type_name());
    return false;
  }
  out = value.get<std::string>();
  return true;
}

}  // namespace

std::vector<JsonlRecord> read_jsonl(const std::string& path, std::vector<std::string>& problems) {
  std::vector<JsonlRecord> records;
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    problems.push_back(path + ": is a directory, not a JSONL file");
    return records;
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    problems.push_back(path + ": cannot open the file");
    return records;
  }
  std::string text;
  for (int line = 1; std::getline(file, text); ++line) {
    if (is_blank(text)) continue;
    const auto at = where(path, line);
    nlohmann::json object;
    try {
      object = nlohmann::json::parse(text);
    } catch (const nlohmann::json::out_of_range&) {
      // "1e400": valid JSON, but no C++ number holds it.
      problems.push_back(at + ": a number beyond double's range (about ±1.8e308)");
      continue;
    } catch (const nlohmann::json::exception& error) {
      // nlohmann's message starts with "[json.exception.parse_error.101] parse error at ...".
      std::string message = error.what();
      const auto start = message.find("] ");
      if (start != std::string::npos) message = message.substr(start + 2);
      problems.push_back(at + ": invalid JSON: " + message);
      continue;
    }
    if (!object.is_object()) {
      problems.push_back(at + ": expected a JSON object, got " + std::string(object.type_name()));
      continue;
    }
    JsonlRecord record;
    record.line = line;
    bool ok = read_string(object, "task", at, record.task, problems);
    if (ok && record.task.empty()) {
      problems.push_back(at + ": field 'task': must not be empty");
      ok = false;
    }
    ok = read_string(object, "input", at, record.input, problems) && ok;
    const bool has_target = read_string(object, "target", at, record.target, problems);
    ok = has_target && ok;
    if (object.contains("choices")) {
      const auto& choices = object.at("choices");
      bool strings = choices.is_array();
      if (strings) {
        for (const auto& choice : choices) strings = strings && choice.is_string();
      }
      if (!strings) {
        problems.push_back(at + ": field 'choices': expected a list of strings, got " +
                           (choices.is_array() ? std::string("a list with a non-string item")
                                               : std::string(choices.type_name())));
        ok = false;
      } else if (choices.empty()) {
        problems.push_back(at + ": field 'choices': must not be empty (omit it for exact match)");
        ok = false;
      } else {
        std::set<std::string> seen;
        for (const auto& choice : choices) {
          const auto value = choice.get<std::string>();
          if (!seen.insert(value).second) {
            problems.push_back(at + ": field 'choices': \"" + value + "\" listed twice");
            ok = false;
          }
          record.choices.push_back(value);
        }
        if (has_target && !seen.count(record.target)) {
          problems.push_back(at + ": field 'target': \"" + record.target +
                             "\" is not one of the choices");
          ok = false;
        }
      }
    }
    if (ok) records.push_back(std::move(record));
  }
  return records;
}

JsonlSuite::JsonlSuite(JsonlSuiteConfig config) : config_(std::move(config)) {
  SuiteConfig whole;
  whole.kind = "jsonl";
  whole.jsonl = config_;
  validate(whole);

  std::vector<std::string> problems;
  const auto train_records = read_jsonl(config_.train_path, problems);
  std::vector<JsonlRecord> validation_records;
  if (!config_.validation_path.empty()) {
    validation_records = read_jsonl(config_.validation_path, problems);
  }

  // Tasks in order of first appearance; held-out ones after the training ones.
  std::vector<std::string> names;
  for (const auto& record : train_records) {
    if (std::find(names.begin(), names.end(), record.task) == names.end())
      names.push_back(record.task);
  }
  if (problems.empty() && names.empty()) {
    problems.push_back(config_.train_path + ": no examples");
  }
  const std::set<std::string> heldout(config_.heldout_tasks.begin(), config_.heldout_tasks.end());
  for (const auto& name : config_.heldout_tasks) {
    if (std::find(names.begin(), names.end(), name) == names.end() && !names.empty()) {
      problems.push_back("suite.heldout_tasks: task '" + name + "' has no examples in " +
                         config_.train_path);
    }
  }
  std::map<std::string, int> index_of;
  for (const char* split : {"train", "heldout"}) {
    for (const auto& name : names) {
      if ((heldout.count(name) > 0) != (std::string(split) == "heldout")) continue;
      TaskInfo info;
      info.index = static_cast<int>(tasks_.size());
      info.name = name;
      info.split = split;
      index_of[name] = info.index;
      tasks_.push_back(info);
    }
  }
  for (const auto& record : validation_records) {
    if (!index_of.count(record.task)) {
      problems.push_back(where(config_.validation_path, record.line) + ": field 'task': task '" +
                         record.task + "' has no examples in " + config_.train_path);
    }
  }
  if (!problems.empty()) {
    const auto n_more = static_cast<int64_t>(problems.size()) -
                        static_cast<int64_t>(std::min(problems.size(), kMaxListedProblems));
    problems.resize(std::min(problems.size(), kMaxListedProblems));
    throw DataError(std::move(problems), n_more);
  }

  auto to_example = [&](const JsonlRecord& record) {
    Example example;
    example.task = index_of.at(record.task);
    example.input = config_.task_prefix ? record.task + ": " + record.input : record.input;
    example.target = record.target;
    example.choices = record.choices;
    return example;
  };
  train_.resize(tasks_.size());
  validation_.resize(tasks_.size());
  for (const auto& record : train_records)
    train_[index_of.at(record.task)].push_back(to_example(record));
  for (const auto& record : validation_records) {
    validation_[index_of.at(record.task)].push_back(to_example(record));
  }

  if (config_.validation_ratio > 0.0) {
    // Per task: a seeded permutation picks round(ratio * n) examples (at least one when
    // the task has two or more, and never all of them); both parts keep file order.
    for (size_t task = 0; task < tasks_.size(); ++task) {
      auto& examples = train_[task];
      const auto n = static_cast<int64_t>(examples.size());
      auto n_validation = static_cast<int64_t>(std::llround(config_.validation_ratio * n));
      n_validation = std::clamp<int64_t>(n_validation, n >= 2 ? 1 : 0, n - 1);
      std::vector<size_t> order(examples.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      Rng rng(mix_keys({config_.seed, hash_string(tasks_[task].name), kSplitStream}));
      rng.shuffle(order);
      std::vector<bool> to_validation(examples.size(), false);
      for (int64_t i = 0; i < n_validation; ++i) to_validation[order[i]] = true;
      std::vector<Example> kept;
      for (size_t i = 0; i < examples.size(); ++i) {
        (to_validation[i] ? validation_[task] : kept).push_back(examples[i]);
      }
      examples = std::move(kept);
    }
  }

  std::set<unsigned char> bytes;
  for (const auto& examples : train_) {
    for (const auto& example : examples) {
      for (const auto* text : {&example.input, &example.target}) {
        for (unsigned char byte : *text) bytes.insert(byte);
      }
    }
  }
  for (unsigned char byte : bytes) alphabet_.push_back(static_cast<char>(byte));
}

void JsonlSuite::check_task(int task) const {
  if (task < 0 || task >= n_tasks()) {
    throw std::out_of_range("JsonlSuite: task " + std::to_string(task) + " not in [0, " +
                            std::to_string(n_tasks()) + ")");
  }
}

Example JsonlSuite::train_example(int task, uint64_t draw) const {
  check_task(task);
  const auto& pool = train_[task];
  return pool[draw % pool.size()];
}

int64_t JsonlSuite::n_train_examples(int task) const {
  check_task(task);
  return static_cast<int64_t>(train_[task].size());
}

const std::vector<Example>& JsonlSuite::validation_examples(int task) const {
  check_task(task);
  return validation_[task];
}

}  // namespace tensorpoly::data
