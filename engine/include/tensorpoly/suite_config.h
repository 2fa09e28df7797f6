// Configuration of a run's task suite (DESIGN.md, "Data") and of the base model's
// pre-training data, as plain value types so that the GUI's experiment form and the
// headless runner can build, validate and show them without LibTorch.
//
// JSON form (the "suite" object of an experiment config; every field optional):
//   {"kind": "synthetic", "layout": "families", "n_tasks": 18, "n_heldout": 3, "seed": 0,
//    "min_length": 4, "max_length": 8, "alphabet": "abcdefgh", "task_prefix": "id",
//    "steps": 2, "n_validation": 64, "n_train_examples": 0}
//   {"kind": "jsonl", "train": "train.jsonl", "validation": "valid.jsonl",
//    "validation_ratio": 0.0, "seed": 0, "task_prefix": false, "heldout_tasks": ["x"],
//    "max_source_length": 0, "max_target_length": 0}
// Errors are ConfigErrors (config_problem.h) naming the field: "suite.n_tasks: must be >= 1".
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "tensorpoly/config_problem.h"

namespace tensorpoly {

// The built-in suite of string transformations composed from primitive skills.
struct SyntheticSuiteConfig {
  // "families": a family primitive (shift, upper, duplicate, drop_vowels), optionally
  //   followed by a modifier that keeps the letters (reverse, sort, rotations, swaps);
  //   the family label of a task is its family primitive.
  // "compositions": free compositions of `steps` primitives; the truth is the set of
  //   primitives a task contains (no family label).
  std::string layout = "families";
  int n_tasks = 18;   // training tasks (split "train")
  int n_heldout = 3;  // extra tasks with split "heldout", for few-shot adaptation
  uint64_t seed = 0;
  int min_length = 4;  // input string length, inclusive bounds
  int max_length = 8;
  std::string alphabet = "abcdefgh";  // distinct lower-case ASCII letters
  // What tells the model which task an input belongs to (kTaskPrefixModes):
  //   "id"    an opaque tag, "t07: <string>"; which task gets which tag is a shuffle seeded
  //           by `seed`, so the tag carries no structure (held-out tasks get tags too);
  //   "name"  the task's name, "upper+swap_ends: <string>": the input then spells out the
  //           primitives (an ablation: a dense adapter can compose the answer from the
  //           text, and a held-out composition is named in its own input);
  //   "none"  the bare string (the task is then only known to routed methods).
  // JSON true/false (stored configs of earlier versions) read as "name"/"none".
  std::string task_prefix = "id";
  int steps = 2;             // primitives per task in the "compositions" layout (1..3)
  int n_validation = 64;     // fixed validation examples per task, disjoint from training
  int n_train_examples = 0;  // per task (held-out tasks too); 0 = fresh examples on the fly
};

// The values of SyntheticSuiteConfig::task_prefix: "id", "name", "none".
const std::vector<std::string>& task_prefix_modes();

// Multi-task JSONL files: one {"task", "input", "target", "choices"?} object per line.
struct JsonlSuiteConfig {
  std::string train_path;
  std::string validation_path;    // empty: split the training file by validation_ratio
  double validation_ratio = 0.0;  // in [0, 1); per task, reproducible for a seed
  uint64_t seed = 0;
  bool task_prefix = false;                // JSONL inputs are usually full prompts already
  std::vector<std::string> heldout_tasks;  // task names given split "heldout"
  // Token limits, eos included; 0 = the longest example of the files (inputs; targets and
  // choices), capped at kDefaultMaxSourceLength / kDefaultMaxTargetLength. Longer
  // examples are cut to the limit, and counted and reported per task when the run starts.
  int64_t max_source_length = 0;
  int64_t max_target_length = 0;
};

inline constexpr int64_t kDefaultMaxSourceLength = 512;  // T0's input limit
inline constexpr int64_t kDefaultMaxTargetLength = 128;
inline constexpr int64_t kMaxSequenceLength = 1 << 16;  // what a limit may be set to

struct SuiteConfig {
  std::string kind = "synthetic";  // "synthetic" or "jsonl"
  SyntheticSuiteConfig synthetic;
  JsonlSuiteConfig jsonl;
};

// Data for pre-training the base model: copying and T5-style span denoising over the
// suite's alphabet. The fields are the curriculum knobs a pre-training stage may change.
struct PretrainDataConfig {
  int min_length = 4;
  int max_length = 12;
  double upper_case_fraction = 0.0;  // probability that a letter is upper-cased
  bool infill = true;                // mix in span denoising with sentinels
  double infill_fraction = 0.5;      // share of denoising examples when infill is on
  double noise_density = 0.15;       // share of tokens masked in a denoising example
  double mean_span_length = 3.0;     // mean length of a masked span
  uint64_t seed = 0;
};

// Parse and validate; `where` prefixes every field name in errors. Unknown fields are
// errors (they are usually typos). Throws ConfigError listing every problem.
SuiteConfig suite_config_from_json(const nlohmann::json& json, const std::string& where = "suite");
PretrainDataConfig pretrain_data_config_from_json(const nlohmann::json& json,
                                                  const std::string& where = "pretrain");
// Check an already-built config (e.g. from the GUI form); throws ConfigError listing every
// problem.
void validate(const SuiteConfig& config, const std::string& where = "suite");
void validate(const PretrainDataConfig& config, const std::string& where = "pretrain");

// The inverse of the parsers: every field, so a stored run shows what it used.
nlohmann::json to_json(const SuiteConfig& config);
nlohmann::json to_json(const PretrainDataConfig& config);

}  // namespace tensorpoly
