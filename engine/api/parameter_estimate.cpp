// Parameter counts of a configured model in closed form (config.h), without building it:
// what the GUI form shows beside the fields, and what tensorpoly-run prints.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "tensorpoly/config.h"
#include "tensorpoly/model_preset.h"
#include "tensorpoly/name_pattern.h"

namespace tensorpoly {

int64_t expected_task_count(const ExperimentConfig& config) {
  if (config.suite.kind == "synthetic") {
    return config.suite.synthetic.n_tasks + config.suite.synthetic.n_heldout;
  }
  std::set<std::string> names;
  std::ifstream in(config.suite.jsonl.train_path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const nlohmann::json row = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (row.is_object() && row.contains("task") && row["task"].is_string()) {
      names.insert(row["task"].get<std::string>());
    }
  }
  return names.empty() ? config.adapter.n_tasks : static_cast<int64_t>(names.size());
}

namespace {

ParameterCounts estimate_resolved(const ExperimentConfig& config);

}  // namespace

ParameterCounts estimate_parameters(const ExperimentConfig& config) {
  return estimate_resolved(resolve_parameter_matching(config));
}

MatchedRank matched_rank(const ExperimentConfig& config, const std::string& target_method) {
  const std::string& method = config.adapter.method;
  if (method == "none" || target_method == "none") {
    throw ConfigError("adapter.match_parameters_of", "cannot match the parameters of '" +
                                                         target_method + "' with method '" +
                                                         method + "': \"none\" has no rank");
  }
  ExperimentConfig target = config;
  target.adapter = paper_adapter_config(target_method);  // throws for an unknown method
  target.adapter.module_regex = config.adapter.module_regex;
  target.adapter.layer_regex = config.adapter.layer_regex;
  target.adapter.router_granularity = config.adapter.router_granularity;
  MatchedRank match;
  match.target_trainable = estimate_resolved(target).trainable;
  ExperimentConfig candidate = config;
  candidate.adapter.match_parameters_of.clear();
  auto trainable_at = [&](int64_t rank) {
    candidate.adapter.rank = rank;
    return estimate_resolved(candidate).trainable;
  };
  // The count grows with the rank: the smallest rank reaching the target, or the one
  // below it, is the nearest.
  int64_t low = 1, high = 1;
  while (trainable_at(high) < match.target_trainable && high < (int64_t{1} << 40)) high *= 2;
  while (low < high) {
    const int64_t middle = low + (high - low) / 2;
    if (trainable_at(middle) < match.target_trainable) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  match.rank = low;
  match.trainable = trainable_at(low);
  if (low > 1) {
    const int64_t below = trainable_at(low - 1);
    if (match.target_trainable - below <= match.trainable - match.target_trainable) {
      match.rank = low - 1;
      match.trainable = below;
    }
  }
  return match;
}

ExperimentConfig resolve_parameter_matching(ExperimentConfig config) {
  if (config.adapter.match_parameters_of.empty()) return config;
  config.adapter.rank = matched_rank(config, config.adapter.match_parameters_of).rank;
  return config;
}

namespace {

ParameterCounts estimate_resolved(const ExperimentConfig& config) {
  const ModelPreset preset = model_shape(config);
  AdapterConfig adapter = config.adapter;
  adapter.n_tasks = expected_task_count(config);

  // The projections of the T5 model (t5_model.h), by owner module and child name.
  struct Projection {
    std::string owner;
    std::string child;
    int64_t in, out;
  };
  std::vector<Projection> projections;
  const int64_t d = preset.d_model, inner = preset.inner_dim(), ff = preset.d_ff;
  auto attention = [&](const std::string& owner) {
    for (const char* name : {"q", "k", "v"}) projections.push_back({owner, name, d, inner});
    projections.push_back({owner, "o", inner, d});
  };
  auto feed_forward = [&](const std::string& owner) {
    if (preset.gated_feed_forward()) {
      projections.push_back({owner, "wi_0", d, ff});
      projections.push_back({owner, "wi_1", d, ff});
    } else {
      projections.push_back({owner, "wi", d, ff});
    }
    projections.push_back({owner, "wo", ff, d});
  };
  for (int64_t i = 0; i < preset.n_encoder_layers; ++i) {
    const std::string block = "encoder.block." + std::to_string(i);
    attention(block + ".layer.0.SelfAttention");
    feed_forward(block + ".layer.1.DenseReluDense");
  }
  for (int64_t i = 0; i < preset.n_decoder_layers; ++i) {
    const std::string block = "decoder.block." + std::to_string(i);
    attention(block + ".layer.0.SelfAttention");
    attention(block + ".layer.1.EncDecAttention");
    feed_forward(block + ".layer.2.DenseReluDense");
  }

  ParameterCounts counts;
  const int64_t base = base_parameter_count(preset);
  counts.total = base;
  // "none" trains the base only when base.unfreeze (validate() refuses it otherwise
  // unless train.steps = 0: the frozen-base baseline trains nothing).
  const bool full_fine_tune = config.base.unfreeze;
  if (full_fine_tune) counts.trainable = base;
  if (adapter.method != "none") {
    const NamePattern module_regex(adapter.module_regex, "adapter.module_regex");
    const NamePattern layer_regex(adapter.layer_regex, "adapter.layer_regex");
    std::vector<AdaptedLayerShape> adapted;
    int64_t layer_norms = 0;
    for (const auto& p : projections) {
      if (!module_regex.full_match(p.owner) || !layer_regex.full_match(p.child)) {
        continue;
      }
      adapted.push_back({p.owner + "." + p.child, p.in, p.out});
      layer_norms += layer_norm_parameters(adapter, p.in, p.out);
    }
    const int64_t trainable = trainable_parameters(adapter, adapted);
    std::set<std::string> scopes;
    if (is_routed_method(adapter.method)) {
      for (const auto& layer : adapted) {
        scopes.insert(router_scope(layer.name, adapter.router_granularity));
      }
    }
    counts.router = static_cast<int64_t>(scopes.size()) * router_parameters(adapter);
    counts.trainable += trainable;
    counts.total += trainable + (adapter.train_layer_norms ? 0 : layer_norms);
  }
  const int64_t n_tasks = std::max<int64_t>(1, adapter.n_tasks);
  counts.per_task = (counts.trainable - counts.router) / n_tasks + counts.router / n_tasks;
  return counts;
}

}  // namespace

}  // namespace tensorpoly
