// The configuration of one experiment (DESIGN.md, "Data flow"): model preset, base
// model and its pre-training, adapter method, task suite, training hyper-parameters,
// device and seed — torch-free, so that the GUI form and tensorpoly-run parse,
// validate and show it without LibTorch.
//
// JSON form (every field optional; defaults are the CPU setup of the issue):
//   {"name": "...", "seed": 0, "device": "auto", "threads": 0, "precision": "fp32",
//    "model": "t5-mini" (a built-in preset) or {"checkpoint": "DIR"} (a Hugging Face T5
//             model folder: config.json, spiece.model, model.safetensors or shards; see
//             hf_config.h — its weights are the base and its tokenizer replaces the bytes),
//    "adapter":  {AdapterConfig, see adapter_config.h; n_tasks is set from the suite},
//    "suite":    {SuiteConfig, see suite_config.h},
//    "train":    {"steps": 2000, "batch_size": 32, "adapter_learning_rate": 1e-3,
//                 "router_learning_rate": 0.1, "base_learning_rate": 1e-4,
//                 "weight_decay": 0.01, "warmup_fraction": 0.06, "max_grad_norm": 1.0,
//                 "eval_every": 250, "eval_examples": 0, "eval_batch_size": 64,
//                 "routing_every": 100, "checkpoint_every": 500, "checkpoint_dir": "",
//                 "resume_from": ""},
//    "base":     {"checkpoint": "", "cache_dir": "", "pretrain_steps": 3000,
//                 "copy_steps": 400, "learning_rate": 1e-3, "batch_size": 64,
//                 "unfreeze": false, "data": {PretrainDataConfig}},
//    "few_shot": {"steps": 0, "k": 32, "learning_rate": 0.1, "train_adapters": true,
//                 "batch_size": 16, "eval_every": 25}}
// Errors are one ConfigError (config_problem.h) listing every problem, each naming its
// field and what is allowed: "train.steps: must be >= 0, got -5".
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "tensorpoly/adapter_config.h"
#include "tensorpoly/config_problem.h"
#include "tensorpoly/events.h"
#include "tensorpoly/model_preset.h"
#include "tensorpoly/suite_config.h"

namespace tensorpoly {

struct TrainingConfig {
  int64_t steps = 2000;                 // optimiser steps; 0 = evaluate only
  int64_t batch_size = 32;              // examples per step, each of a uniformly drawn task
  double adapter_learning_rate = 1e-3;  // adapter weights (lora_a/b, weight_leafs_a/b, LN affines)
  double router_learning_rate = 0.1;    // router logits (module_logits)
  double base_learning_rate = 1e-4;     // base weights, when base.unfreeze or method "none"
  double weight_decay = 0.01;           // AdamW, decoupled, on adapter (and base) weights;
                                        // router logits are never decayed (as the reference)
  double warmup_fraction = 0.06;  // linear warm-up over this share of steps, then linear decay
  double max_grad_norm = 1.0;     // global-norm clipping; 0 = off
  int64_t eval_every = 250;       // evaluation on validation; 0 = only at start and end
  int64_t eval_examples = 0;      // validation examples per task; 0 = all
  int64_t eval_batch_size = 64;
  int64_t routing_every = 100;     // routing snapshots; 0 = only at start and end
  int64_t checkpoint_every = 500;  // 0 = only at the end and on stop
  std::string checkpoint_dir;      // empty: <cache>/runs/<name>-<time>
  std::string resume_from;         // a training checkpoint to continue from
};

// The base model: a cached checkpoint pre-trained on copying and span denoising over the
// suite's alphabet (a curriculum: copy-only on short lower-case strings for copy_steps,
// then the `data` mix), or an explicit checkpoint, or (pretrain_steps 0) random weights.
struct BaseModelConfig {
  std::string checkpoint;         // a base checkpoint to load; skips pre-training
  std::string cache_dir;          // empty: <cache>/base ($TENSORPOLY_CACHE_DIR, XDG)
  int64_t pretrain_steps = 3000;  // total pre-training steps; 0 = random base
  int64_t copy_steps = 400;       // first stage: copy only, lower case, short strings
  double learning_rate = 1e-3;
  int64_t batch_size = 64;
  bool unfreeze = false;    // train the base together with the adapters
  PretrainDataConfig data;  // the second stage's mix (upper case, infilling, ...)
};

// Few-shot adaptation to the suite's held-out tasks after multi-task training, one
// protocol for every method, as the reference (mttl pl_finetune.py) runs it: each held-out
// task separately, starting from the trained weights, on its own `k` training examples
// (few_shot_examples() in the engine: the task's first k distinct training examples).
// Routed methods learn that task's router row (its logits never trained: no batch held
// the task, and router logits are not weight-decayed) and, with train_adapters (the
// default), every adapter weight too; dense methods (lora, tlora) learn their adapter
// weights. train_adapters = false is router-only adaptation, the reference's
// finetune_type "Z" ablation ("fix skills, train only Z"); it needs a routed method. The
// base always stays frozen. Each held-out task is evaluated (EvalResult split "heldout",
// step = few-shot step, that task only) before adaptation (step 0), every eval_every
// steps and after the last step; its adapted router row enters one RoutingSnapshot with
// stage "few_shot" (which skills a new task reuses), and its adapted weights are saved
// beside the run's checkpoints (few_shot_checkpoint_path). The trained weights are back in
// place afterwards. Off by default (0 steps) so that hand-built configs need no held-out
// tasks; the presets turn it on.
struct FewShotConfig {
  int64_t steps = 0;           // optimiser steps per held-out task; 0 = off
  int64_t k = 32;              // training examples of each held-out task (>= 1)
  double learning_rate = 0.1;  // router logits; adapters use train.adapter_learning_rate
  bool train_adapters = true;  // false: router only (routed methods; the "Z" ablation)
  int64_t batch_size = 16;
  int64_t eval_every = 25;  // few-shot steps between evaluations; 0 = before and end
};

struct ExperimentConfig {
  std::string name = "experiment";
  uint64_t seed = 0;
  std::string device = "auto";    // auto, cpu, cuda, cuda:N
  int threads = 0;                // intra-op threads; 0 = one per core
  std::string model = "t5-mini";  // a ModelPreset name (model_preset.h)
  // A Hugging Face T5 model folder (hf_config.h); when set it is the model (shape from its
  // config.json, weights as the base, its SentencePiece tokenizer) and `model` is unused.
  // Only its existence is checked when it is used, so a config naming a folder that is
  // not there still parses.
  std::string model_checkpoint;
  // Compute precision: "fp32"; "bf16" or "fp16" run the forward and backward under
  // autocast (CUDA; bf16 also on CPU) with fp32 weights, fp16 with dynamic loss scaling.
  std::string precision = "fp32";
  AdapterConfig adapter;
  SuiteConfig suite;
  TrainingConfig train;
  BaseModelConfig base;
  FewShotConfig few_shot;
};

// Parse and validate. Unknown fields are errors (usually typos). Throws ConfigError
// listing every problem (wrong types, numbers out of range, unknown fields, invalid
// values) with its field path.
ExperimentConfig config_from_json(const nlohmann::json& json);
// `source` (a file name, say) is the ConfigError's file(): it starts every line of what()
// (with the line and column for JSON syntax errors).
ExperimentConfig config_from_json_text(const std::string& text, const std::string& source = {});
// Reads a JSON file; errors start with the file name.
ExperimentConfig config_from_file(const std::string& path);
// Checks an already-built config (the GUI form); throws ConfigError listing every problem.
void validate(const ExperimentConfig& config);

// Every field, so a stored run shows exactly what it used; config_from_json inverts it.
nlohmann::json to_json(const ExperimentConfig& config);
std::string to_json_text(const ExperimentConfig& config, int indent = 2);

// Applies "path.to.field=value" overrides ("train.steps=200", "adapter.method=poly",
// "suite.alphabet=abcd"). A value is read as JSON when it parses (numbers, true/false,
// null, arrays, quoted strings), else as a plain string. Throws ConfigError naming the
// override that does not fit.
ExperimentConfig apply_overrides(const ExperimentConfig& config,
                                 const std::vector<std::string>& overrides);

// Experiment presets: the files resources/presets/<name>.json, embedded into the library
// when it is built (any other file is read with config_from_file).
std::vector<std::string> preset_names();  // sorted, without ".json"
// Throws ConfigError naming the available presets when there is none called `name`.
ExperimentConfig load_preset(const std::string& name);

// The cache root: $TENSORPOLY_CACHE_DIR, else $XDG_CACHE_HOME/tensorpoly, else
// ~/.cache/tensorpoly.
std::string cache_directory();

// Number of tasks the suite will have (synthetic: n_tasks + n_heldout; JSONL: the
// distinct task names of the training file, read without LibTorch).
int64_t expected_task_count(const ExperimentConfig& config);

// The paper's hyper-parameters for a method (adapters.md §5; presets use the same):
// tensorpoly-1 S 8, r 16, order 4; tensorpoly-2 the same with 4 splits (one per order);
// poly S 8, r 1; mhr S 8, r 1, 8 splits; lora r 1 (Poly with one skill); tlora r 16,
// order 4 (TensorPoly-I with one skill); none. Throws ConfigError for an unknown method.
AdapterConfig paper_adapter_config(const std::string& method);

// The allowed values of ExperimentConfig::precision: fp32, bf16, fp16.
const std::vector<std::string>& precisions();

// The model's shape: the preset's, or read from the checkpoint folder's config.json
// (throws CheckpointError, hf_config.h, for a missing or bad folder).
ModelPreset model_shape(const ExperimentConfig& config);

// Parameter counts of the configured model in closed form (adapters.md §5 and
// base_parameter_count), without building it: what the GUI form shows. A config with
// adapter.match_parameters_of is counted with its matched rank.
ParameterCounts estimate_parameters(const ExperimentConfig& config);

// A rank chosen so that two methods train about as many parameters.
struct MatchedRank {
  int64_t rank = 1;
  int64_t trainable = 0;         // config's method at that rank
  int64_t target_trainable = 0;  // the target method's paper configuration
  double relative_difference() const {
    return target_trainable > 0 ? static_cast<double>(trainable - target_trainable) /
                                      static_cast<double>(target_trainable)
                                : 0.0;
  }
};
// The rank of config.adapter.method whose trainable parameter count (estimate_parameters:
// the closed-form counts of adapters.md §5) on the configured model and suite is nearest
// that of `target_method`'s paper configuration (paper_adapter_config) adapting the same
// layers (module_regex, layer_regex) with the same router granularity; a tie goes to the
// smaller rank. Throws ConfigError naming adapter.match_parameters_of for a method
// without a rank ("none") or an unknown target.
MatchedRank matched_rank(const ExperimentConfig& config, const std::string& target_method);
// Sets adapter.rank from adapter.match_parameters_of when it is set (config_from_json and
// the trainer call it); returns the config unchanged otherwise.
ExperimentConfig resolve_parameter_matching(ExperimentConfig config);

}  // namespace tensorpoly
