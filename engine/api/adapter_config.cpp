// Adapter configuration: validation, parameter formulas and JSON (adapter_config.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/adapter_config.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <regex>
#include <set>
#include <sstream>

#include "json_fields.h"
#include "tensorpoly/limits.h"
#include "tensorpoly/name_pattern.h"

namespace tensorpoly {
namespace {

using config_fields::JsonFields;
using config_fields::ProblemList;

// Adapter fields sit at "adapter.<name>" in an experiment config.
std::string adapter_field(const std::string& name) { return "adapter." + name; }

template <typename T>
std::string join(const std::vector<T>& values) {
  std::ostringstream out;
  for (size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << values[i];
  return out.str();
}

// Collects the problems of one adapter config; messages start with the field's own name
// ("rank must be >= 1 ..."), so they read whole beside the form's field too.
class AdapterProblems {
 public:
  void refuse(const std::string& field, const std::string& message) {
    problems_.add(adapter_field(field), message);
  }
  void require_at_least(const std::string& field, int64_t value, int64_t minimum,
                        const std::string& method) {
    if (value < minimum) {
      refuse(field, field + " must be >= " + std::to_string(minimum) + " for method '" + method +
                        "' (got " + std::to_string(value) + ")");
    }
  }
  // Sizes that multiply into the adapter's tensors: beyond the limit a run would fail
  // late in an allocation.
  void require_at_most(const std::string& field, int64_t value, int64_t maximum) {
    if (value > maximum) {
      refuse(field, field + " must be <= " + std::to_string(maximum) + " (got " +
                        std::to_string(value) + ")");
    }
  }
  void throw_if_any() const { problems_.throw_if_any(); }

 private:
  ProblemList problems_;
};

bool contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// base^exponent, saturating at int64 max (only the comparison with n matters).
int64_t saturating_power(int64_t base, int64_t exponent) {
  int64_t result = 1;
  for (int64_t i = 0; i < exponent; ++i) {
    if (result > std::numeric_limits<int64_t>::max() / base) {
      return std::numeric_limits<int64_t>::max();
    }
    result *= base;
  }
  return result;
}

// Q of the router: rows of module_logits per task are Q·S.
int64_t router_blocks(const AdapterConfig& config) {
  if (config.method == "poly" || config.method == "mhr") return config.n_splits;
  if (config.method == "tensorpoly-2") return config.order;
  return 1;
}

}  // namespace

const std::vector<std::string>& adapter_methods() {
  static const std::vector<std::string> methods = {"lora",         "tlora",        "poly", "mhr",
                                                   "tensorpoly-1", "tensorpoly-2", "none"};
  return methods;
}

const std::vector<std::string>& router_granularities() {
  static const std::vector<std::string> values = {"layer", "block", "model"};
  return values;
}

const std::vector<int64_t>& supported_tensor_orders() {
  static const std::vector<int64_t> orders = {1, 2, 4};
  return orders;
}

bool is_tensor_method(const std::string& method) {
  return method == "tlora" || method == "tensorpoly-1" || method == "tensorpoly-2";
}

bool is_routed_method(const std::string& method) {
  return method == "poly" || method == "mhr" || method == "tensorpoly-1" ||
         method == "tensorpoly-2";
}

namespace {

void check_regexes(const AdapterConfig& config, AdapterProblems& problems) {
  // Every method is injected by these regexes, so they are checked for dense methods too
  // (otherwise a bad pattern surfaces later as a bare std::regex_error).
  for (const auto& [field, pattern] :
       {std::pair<std::string, std::string>{"module_regex", config.module_regex},
        std::pair<std::string, std::string>{"layer_regex", config.layer_regex}}) {
    if (pattern.empty()) {
      problems.refuse(field, field + " must not be empty");
      continue;
    }
    const std::string problem = name_pattern_problem(pattern);
    if (!problem.empty()) {
      std::string message =
          field + " must be a valid regular expression (RE2 syntax, full match): ";
      message += problem;
      problems.refuse(field, message);
    }
  }
}

void check_splits(const AdapterConfig& config, AdapterProblems& problems) {
  const std::string& method = config.method;
  const std::string got = " (got " + std::to_string(config.n_splits) + ")";
  if (config.n_splits < 1) {
    problems.require_at_least("n_splits", config.n_splits, 1, method);
  } else if ((method == "poly" || method == "tensorpoly-1") && config.n_splits != 1) {
    problems.refuse("n_splits",
                    "n_splits must be 1 for method '" + method + "'" + got +
                        (method == "poly" ? "; use method 'mhr' for several splits" : ""));
  } else if (method == "mhr" && config.n_splits < 2) {
    problems.refuse("n_splits", "n_splits must be >= 2 for method 'mhr' (got " +
                                    std::to_string(config.n_splits) +
                                    "; one split is method 'poly')");
  } else if (method == "tensorpoly-2" && config.n_splits != config.order) {
    problems.refuse("n_splits", "n_splits must equal order (" + std::to_string(config.order) +
                                    ") for method 'tensorpoly-2'" + got);
  }
}

void check_fields(const AdapterConfig& config, AdapterProblems& problems) {
  const std::string& method = config.method;
  if (!contains(adapter_methods(), method)) {
    // Which other fields apply depends on the method: nothing more to check.
    problems.refuse("method",
                    "method must be one of " + join(adapter_methods()) + " (got '" + method + "')");
    return;
  }
  if (!config.match_parameters_of.empty() &&
      (method == "none" || config.match_parameters_of == "none" ||
       !contains(adapter_methods(), config.match_parameters_of))) {
    problems.refuse("match_parameters_of",
                    "match_parameters_of must be \"\" or a method other than none (got '" +
                        config.match_parameters_of + "'" +
                        (method == "none" ? " for method 'none', which has no rank" : "") + ")");
  }
  if (method == "none") return;
  problems.require_at_least("rank", config.rank, 1, method);
  problems.require_at_most("rank", config.rank, kMaxAdapterSize);
  if (is_tensor_method(method)) {
    const auto& orders = supported_tensor_orders();
    if (std::find(orders.begin(), orders.end(), config.order) == orders.end()) {
      problems.refuse("order", "order must be one of " + join(orders) + " for method '" + method +
                                   "' (got " + std::to_string(config.order) + ")");
    }
  }
  check_regexes(config, problems);
  if (!is_routed_method(method)) return;

  problems.require_at_least("n_skills", config.n_skills, 1, method);
  problems.require_at_most("n_skills", config.n_skills, kMaxAdapterSize);
  problems.require_at_most("n_tasks", config.n_tasks, kMaxAdapterSize);
  problems.require_at_least("n_tasks", config.n_tasks, 1, method);
  check_splits(config, problems);
  if (!(config.temperature > 0.0) || !std::isfinite(config.temperature)) {
    std::ostringstream got;
    got << config.temperature;
    problems.refuse("temperature",
                    "temperature must be a finite number > 0 (got " + got.str() + ")");
  }
  if (!contains(router_granularities(), config.router_granularity)) {
    problems.refuse("router_granularity", "router_granularity must be one of " +
                                              join(router_granularities()) + " (got '" +
                                              config.router_granularity + "')");
  }
}

}  // namespace

void validate_fields(const AdapterConfig& config) {
  AdapterProblems problems;
  check_fields(config, problems);
  problems.throw_if_any();
}

void validate(const AdapterConfig& config, int64_t in_features, int64_t out_features) {
  AdapterProblems problems;
  check_fields(config, problems);
  if (in_features < 1 || out_features < 1) {
    problems.refuse("in_features", "layer size must be positive (got in " +
                                       std::to_string(in_features) + ", out " +
                                       std::to_string(out_features) + ")");
  } else if (config.method == "mhr" && config.n_splits >= 2 &&
             (in_features % config.n_splits != 0 || out_features % config.n_splits != 0)) {
    // The splits that fit are the divisors of gcd(in, out); mhr needs at least two.
    const int64_t common = std::gcd(in_features, out_features);
    std::vector<int64_t> allowed;
    for (int64_t divisor = 2; divisor <= common; ++divisor) {
      if (common % divisor == 0) allowed.push_back(divisor);
    }
    const std::string sizes = std::to_string(in_features) + ", " + std::to_string(out_features);
    problems.refuse(
        "n_splits",
        "n_splits (" + std::to_string(config.n_splits) + ") must divide in_features (" +
            std::to_string(in_features) + ") and out_features (" + std::to_string(out_features) +
            ") for method 'mhr' " +
            (allowed.empty()
                 ? "(no n_splits >= 2 divides both: gcd(" + sizes + ") = 1; use method 'poly')"
                 : "(allowed: " + join(allowed) + ", the divisors >= 2 of gcd(" + sizes +
                       ") = " + std::to_string(common) + ")"));
  }
  problems.throw_if_any();
}

int64_t leaf_size(int64_t n, int64_t order) {
  if (n < 1) throw std::invalid_argument("leaf_size: n must be >= 1, got " + std::to_string(n));
  if (order < 1) {
    throw std::invalid_argument("leaf_size: order must be >= 1, got " + std::to_string(order));
  }
  if (order == 1) return n;
  // A floating-point guess, then exact integer correction on both sides.
  auto d = std::max<int64_t>(
      1, static_cast<int64_t>(std::llround(std::pow(static_cast<double>(n), 1.0 / order))));
  while (d > 1 && saturating_power(d - 1, order) >= n) --d;
  while (saturating_power(d, order) < n) ++d;
  return d;
}

int64_t router_parameters(const AdapterConfig& config) {
  if (!is_routed_method(config.method)) return 0;
  return config.n_tasks * router_blocks(config) * config.n_skills;
}

int64_t adapter_weight_parameters(const AdapterConfig& config, int64_t in_features,
                                  int64_t out_features) {
  const int64_t r = config.rank;
  const std::string& method = config.method;
  if (method == "lora") return r * (in_features + out_features);
  if (method == "poly" || method == "mhr")
    return config.n_skills * r * (in_features + out_features);
  if (!is_tensor_method(method)) return 0;
  const int64_t k = config.order;
  const int64_t leaves = leaf_size(in_features, k) + leaf_size(out_features, k);
  const int64_t skills = method == "tlora" ? 1 : config.n_skills;
  return k * skills * r * leaves;
}

int64_t layer_norm_parameters(const AdapterConfig& config, int64_t in_features,
                              int64_t out_features) {
  if (!is_tensor_method(config.method) || config.order == 1) return 0;
  const int64_t d_a = leaf_size(in_features, config.order);
  const int64_t d_b = leaf_size(out_features, config.order);
  const int64_t l2 = config.rank * (d_a * d_a + d_b * d_b);
  const bool second_pair = config.method == "tensorpoly-2" && config.order == 4;
  return (second_pair ? 4 : 2) * l2;
}

int64_t trainable_parameters_per_layer(const AdapterConfig& config, int64_t in_features,
                                       int64_t out_features) {
  return adapter_weight_parameters(config, in_features, out_features) +
         (config.train_layer_norms ? layer_norm_parameters(config, in_features, out_features) : 0) +
         router_parameters(config);
}

std::string router_scope(const std::string& layer_name, const std::string& granularity) {
  if (granularity == "layer") return layer_name;
  if (granularity == "model") return "model";
  if (granularity == "block") {
    static const std::regex block_component(R"((^|\.)block\.\d+(?=\.|$))");
    std::smatch match;
    if (!std::regex_search(layer_name, match, block_component)) {
      throw ConfigError(adapter_field("router_granularity"),
                        "router_granularity 'block' needs a layer name containing "
                        "'block.<index>' (layer '" +
                            layer_name + "')");
    }
    return layer_name.substr(0, static_cast<size_t>(match.position(0) + match.length(0)));
  }
  throw ConfigError(adapter_field("router_granularity"), "router_granularity must be one of " +
                                                             join(router_granularities()) +
                                                             " (got '" + granularity + "')");
}

int64_t trainable_parameters(const AdapterConfig& config,
                             const std::vector<AdaptedLayerShape>& layers) {
  int64_t total = 0;
  std::set<std::string> scopes;
  for (const auto& layer : layers) {
    total += trainable_parameters_per_layer(config, layer.in_features, layer.out_features) -
             router_parameters(config);
    if (is_routed_method(config.method)) {
      scopes.insert(router_scope(layer.name, config.router_granularity));
    }
  }
  return total + static_cast<int64_t>(scopes.size()) * router_parameters(config);
}

// ---- JSON ----

nlohmann::json adapter_config_to_json(const AdapterConfig& config) {
  return nlohmann::json{{"method", config.method},
                        {"rank", config.rank},
                        {"order", config.order},
                        {"n_skills", config.n_skills},
                        {"n_splits", config.n_splits},
                        {"n_tasks", config.n_tasks},
                        {"relaxed_bernoulli", config.relaxed_bernoulli},
                        {"temperature", config.temperature},
                        {"router_granularity", config.router_granularity},
                        {"module_regex", config.module_regex},
                        {"layer_regex", config.layer_regex},
                        {"train_layer_norms", config.train_layer_norms},
                        {"match_parameters_of", config.match_parameters_of}};
}

AdapterConfig adapter_config_from_json(const nlohmann::json& json) {
  ProblemList problems;
  AdapterConfig config;
  JsonFields reader(json, "adapter", problems);
  reader.read("method", config.method);
  reader.read("rank", config.rank);
  reader.read("order", config.order);
  reader.read("n_skills", config.n_skills);
  reader.read("n_splits", config.n_splits);
  reader.read("n_tasks", config.n_tasks);
  reader.read("relaxed_bernoulli", config.relaxed_bernoulli);
  reader.read("temperature", config.temperature);
  reader.read("router_granularity", config.router_granularity);
  reader.read("module_regex", config.module_regex);
  reader.read("layer_regex", config.layer_regex);
  reader.read("train_layer_norms", config.train_layer_norms);
  reader.read("match_parameters_of", config.match_parameters_of);
  reader.reject_unknown();
  problems.collect_validation([&] { validate_fields(config); });
  problems.throw_if_any();
  return config;
}

void to_json(nlohmann::json& json, const AdapterConfig& config) {
  json = adapter_config_to_json(config);
}

void from_json(const nlohmann::json& json, AdapterConfig& config) {
  config = adapter_config_from_json(json);
}

}  // namespace tensorpoly
