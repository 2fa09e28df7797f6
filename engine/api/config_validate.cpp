// Validation of a whole ExperimentConfig (config.h): ranges, allowed values and the checks
// across sections; the sections' own checks (adapter, suite, pre-training data) add to the
// same problem list.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <cmath>
#include <regex>
#include <sstream>

#include "json_fields.h"
#include "tensorpoly/config.h"
#include "tensorpoly/limits.h"
#include "tensorpoly/model_preset.h"

namespace tensorpoly {
namespace {

using config_fields::ProblemList;

std::string number_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

void check_top_level(const ExperimentConfig& c, ProblemList& problems) {
  if (c.name.empty()) problems.add("name", "must not be empty");
  if (c.model_checkpoint.empty()) {
    try {
      (void)model_preset(c.model);
    } catch (const std::invalid_argument& error) {
      problems.add("model", error.what());
    }
  } else if (!c.base.checkpoint.empty()) {
    problems.add("base.checkpoint",
                 "must be empty when the model is a checkpoint folder (the folder's weights "
                 "are the base)");
  }
  const auto& allowed = precisions();
  if (std::find(allowed.begin(), allowed.end(), c.precision) == allowed.end()) {
    problems.add("precision", "must be one of fp32, bf16, fp16, got \"" + c.precision + "\"");
  }
  static const std::regex device_pattern("auto|cpu|cuda|cuda:[0-9]+");
  if (!std::regex_match(c.device, device_pattern)) {
    problems.add("device", "must be one of auto, cpu, cuda, cuda:N, got \"" + c.device + "\"");
  }
  if (c.threads < 0 || c.threads > kMaxThreads) {
    problems.add("threads", "must be in [0, " + std::to_string(kMaxThreads) +
                                "] (0 = one per core), got " + std::to_string(c.threads));
  }
}

void check_rates(const ExperimentConfig& c, ProblemList& problems) {
  const TrainingConfig& t = c.train;
  const std::pair<const char*, double> rates[] = {
      {"train.adapter_learning_rate", t.adapter_learning_rate},
      {"train.router_learning_rate", t.router_learning_rate},
      {"train.base_learning_rate", t.base_learning_rate},
      {"base.learning_rate", c.base.learning_rate},
      {"few_shot.learning_rate", c.few_shot.learning_rate}};
  for (const auto& [field, value] : rates) {
    if (!(std::isfinite(value) && value >= 0.0)) {
      problems.add(field, "must be a finite number >= 0, got " + number_text(value));
    }
  }
  if (!(std::isfinite(t.weight_decay) && t.weight_decay >= 0.0)) {
    problems.add("train.weight_decay", "must be >= 0, got " + number_text(t.weight_decay));
  }
  if (!(t.warmup_fraction >= 0.0 && t.warmup_fraction <= 1.0)) {
    problems.add("train.warmup_fraction",
                 "must be in [0, 1], got " + number_text(t.warmup_fraction));
  }
  if (!(std::isfinite(t.max_grad_norm) && t.max_grad_norm >= 0.0)) {
    problems.add("train.max_grad_norm",
                 "must be >= 0 (0 = no clipping), got " + number_text(t.max_grad_norm));
  }
}

void check_counts(const ExperimentConfig& c, ProblemList& problems) {
  const TrainingConfig& t = c.train;
  const std::pair<const char*, int64_t> non_negative[] = {
      {"train.steps", t.steps},
      {"train.eval_every", t.eval_every},
      {"train.eval_examples", t.eval_examples},
      {"train.routing_every", t.routing_every},
      {"train.checkpoint_every", t.checkpoint_every},
      {"base.pretrain_steps", c.base.pretrain_steps},
      {"base.copy_steps", c.base.copy_steps},
      {"few_shot.steps", c.few_shot.steps},
      {"few_shot.eval_every", c.few_shot.eval_every}};
  for (const auto& [field, value] : non_negative) {
    if (value < 0) problems.add(field, "must be >= 0, got " + std::to_string(value));
  }
  const std::pair<const char*, int64_t> positive[] = {
      {"train.batch_size", t.batch_size},
      {"train.eval_batch_size", t.eval_batch_size},
      {"base.batch_size", c.base.batch_size},
      {"few_shot.batch_size", c.few_shot.batch_size},
      {"few_shot.k", c.few_shot.k}};
  for (const auto& [field, value] : positive) {
    if (value < 1 || value > kMaxBatchSize) {
      problems.add(field, "must be in [1, " + std::to_string(kMaxBatchSize) + "], got " +
                              std::to_string(value));
    }
  }
}

void check_across_sections(const ExperimentConfig& c, ProblemList& problems) {
  if (c.base.copy_steps > c.base.pretrain_steps) {
    problems.add("base.copy_steps", "must be <= base.pretrain_steps (" +
                                        std::to_string(c.base.pretrain_steps) + "), got " +
                                        std::to_string(c.base.copy_steps));
  }
  if (c.few_shot.steps > 0 && c.suite.kind == "synthetic" && c.suite.synthetic.n_heldout <= 0) {
    problems.add("few_shot.steps",
                 "few-shot adaptation needs held-out tasks (suite.n_heldout > 0)");
  }
  if (c.few_shot.steps > 0 && !c.few_shot.train_adapters && !is_routed_method(c.adapter.method)) {
    problems.add("few_shot.train_adapters",
                 "false (router-only adaptation) needs a routed method (poly, mhr, "
                 "tensorpoly-1, tensorpoly-2); \"" +
                     c.adapter.method + "\" has no router");
  }
  if (c.adapter.method == "none" && !(c.base.unfreeze || c.train.steps == 0)) {
    problems.add("adapter.method",
                 "\"none\" trains no adapter, so it needs base.unfreeze = true "
                 "(full fine-tuning) or train.steps = 0 (evaluate the base only)");
  }
}

}  // namespace

const std::vector<std::string>& precisions() {
  static const std::vector<std::string> names = {"fp32", "bf16", "fp16"};
  return names;
}

void validate(const ExperimentConfig& config) {
  ProblemList problems;
  check_top_level(config, problems);
  problems.collect([&] { validate_fields(config.adapter); });
  problems.collect([&] { validate(config.suite, "suite"); });
  check_rates(config, problems);
  check_counts(config, problems);
  check_across_sections(config, problems);
  problems.collect([&] { validate(config.base.data, "base.data"); });
  problems.throw_if_any();
}

}  // namespace tensorpoly
