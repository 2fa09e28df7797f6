// Adapter configuration: the fields, their validation and the closed-form
// trainable-parameter counts of adapters.md §5 — torch-free, so that the GUI form
// can validate a configuration and show its parameter budget without LibTorch.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "tensorpoly/config_problem.h"

namespace tensorpoly {

// Methods: "lora", "tlora", "poly", "mhr", "tensorpoly-1", "tensorpoly-2", and
// "none" (no adapter: the trainer fine-tunes the base model itself; accepted here
// and by inject_adapters(), refused by the adapter factory).
//
// Fields a method does not use are ignored (and not validated): `order` by lora,
// poly and mhr; `n_skills`, `n_splits`, `n_tasks` and the router fields by the
// dense methods lora and tlora; everything by "none". `module_regex` and
// `layer_regex` select the adapted layers of every method and are always checked.
struct AdapterConfig {
  std::string method = "tensorpoly-1";
  int64_t rank = 16;     // r: the update is divided by it
  int64_t order = 4;     // k: tensor order, 1, 2 or 4 (tlora, tensorpoly-1, tensorpoly-2)
  int64_t n_skills = 8;  // S (for tensorpoly-1: the tensor rank)
  int64_t n_splits = 1;  // Q: 1 for poly and tensorpoly-1, > 1 for mhr, = order for tensorpoly-2
  int64_t n_tasks = 1;   // T: rows of the router logits
  // Training-time routing: relaxed Bernoulli (binary Concrete) sampling with this
  // temperature, or (default, as in the paper's sota configurations) the same
  // normalised sigmoid as at evaluation.
  bool relaxed_bernoulli = false;
  double temperature = 1.0;
  // One router per adapted layer ("layer"), per transformer block ("block": the
  // layer's name up to "block.<i>"), or one for the whole model ("model").
  std::string router_granularity = "layer";
  // Full-match regexes (RE2 syntax: tensorpoly/name_pattern.h) over the owner module's full
  // name and over the projection's child name.
  std::string module_regex = ".*SelfAttention|.*EncDecAttention|.*DenseReluDense";
  std::string layer_regex = "q|k|v|o|wi_1.*|wi_0.*|wo";
  // Train the adapters' LayerNorm affines (off in the sota configurations).
  bool train_layer_norms = false;
  // A capacity-matched control: "" (off) or a method (tensorpoly-1, ...) whose paper
  // configuration's trainable parameter count, on the same model, suite and layers, the
  // `rank` of this config is chosen to match (matched_rank() in config.h; the rank given
  // is replaced when the experiment config is read or run).
  std::string match_parameters_of;
};

// Refused configurations throw ConfigError (config_problem.h) listing every problem, each
// with its field at "adapter.<name>" (as in an experiment config): "adapter.rank: rank must
// be >= 1 for method 'lora' (got 0)".

const std::vector<std::string>& adapter_methods();       // the six methods and "none"
const std::vector<std::string>& router_granularities();  // "layer", "block", "model"
const std::vector<int64_t>& supported_tensor_orders();   // 1, 2, 4

bool is_tensor_method(const std::string& method);  // tlora, tensorpoly-1, tensorpoly-2
bool is_routed_method(const std::string& method);  // poly, mhr, tensorpoly-1, tensorpoly-2

// Throws ConfigError naming each offending field and the allowed values.
void validate_fields(const AdapterConfig& config);
// validate_fields() plus the checks that need the layer size (mhr: n_splits divides in and
// out; the error lists the allowed values, the divisors >= 2 of gcd(in, out)).
void validate(const AdapterConfig& config, int64_t in_features, int64_t out_features);

// Leaf size d = ⌈n^(1/k)⌉, the smallest integer with d^k >= n, in integer arithmetic.
int64_t leaf_size(int64_t n, int64_t order);

// Router rows × columns: T·Q·S (Q = n_splits for poly/mhr, 1 for tensorpoly-1,
// order for tensorpoly-2); 0 for methods without a router.
int64_t router_parameters(const AdapterConfig& config);
// Adapter weights of one layer (lora_a/b or weight_leafs_a/b), without router and LayerNorms.
int64_t adapter_weight_parameters(const AdapterConfig& config, int64_t in_features,
                                  int64_t out_features);
// LayerNorm affines of one layer (trained or not): 2·L2 at orders 2 and 4 (4·L2 for
// tensorpoly-2 at order 4), L2 = r(d_a² + d_b²).
int64_t layer_norm_parameters(const AdapterConfig& config, int64_t in_features,
                              int64_t out_features);
// adapters.md §5: weights + router + (LayerNorm affines if train_layer_norms), for
// one adapted layer with its own router. 0 for "none".
int64_t trainable_parameters_per_layer(const AdapterConfig& config, int64_t in_features,
                                       int64_t out_features);

// The scope whose router a layer uses: the layer's own name ("layer"), its name up
// to the first "block.<i>" component ("block"; throws ConfigError when there
// is none), or "model".
std::string router_scope(const std::string& layer_name, const std::string& granularity);

struct AdaptedLayerShape {
  std::string name;  // full module name of the adapted projection
  int64_t in_features = 0;
  int64_t out_features = 0;
};
// Trainable adapter parameters of a whole model: every layer's weights (and
// LayerNorm affines if trained) plus one router per distinct router scope.
int64_t trainable_parameters(const AdapterConfig& config,
                             const std::vector<AdaptedLayerShape>& layers);

// JSON with the field names of AdapterConfig. Missing fields keep their defaults;
// unknown fields, wrong types and what validate_fields() refuses throw one ConfigError
// listing every problem.
nlohmann::json adapter_config_to_json(const AdapterConfig& config);
AdapterConfig adapter_config_from_json(const nlohmann::json& json);
// ADL hooks so that AdapterConfig can sit inside larger nlohmann documents.
void to_json(nlohmann::json& json, const AdapterConfig& config);
void from_json(const nlohmann::json& json, AdapterConfig& config);

}  // namespace tensorpoly
