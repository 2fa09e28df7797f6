// Torch-free adapter configuration: validation, leaf sizes, parameter formulas, JSON.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/adapter_config.h"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace tensorpoly {
namespace {

AdapterConfig make(const std::string& method, int64_t rank, int64_t order, int64_t n_skills,
                   int64_t n_splits, int64_t n_tasks) {
  AdapterConfig config;
  config.method = method;
  config.rank = rank;
  config.order = order;
  config.n_skills = n_skills;
  config.n_splits = n_splits;
  config.n_tasks = n_tasks;
  return config;
}

// Expects `action` to throw a ConfigError with a problem of "adapter.<field>" whose
// message holds every word of `words`.
void expect_refused(const std::function<void()>& action, const std::string& field,
                    const std::vector<std::string>& words) {
  try {
    action();
    ADD_FAILURE() << "expected an error for field '" << field << "'";
  } catch (const ConfigError& error) {
    const std::string path = "adapter." + field;
    ASSERT_TRUE(error.names(path)) << error.what();
    EXPECT_NE(std::string(error.what()).find(path + ": "), std::string::npos) << error.what();
    std::string messages;
    for (const auto& problem : error.problems()) {
      if (problem.field == path) messages += problem.message + "\n";
    }
    for (const auto& word : words) EXPECT_NE(messages.find(word), std::string::npos) << messages;
  }
}

TEST(AdapterConfig, DefaultIsTheTensorPolyOneSotaConfig) {
  const AdapterConfig config;
  EXPECT_EQ(config.method, "tensorpoly-1");
  EXPECT_EQ(config.rank, 16);
  EXPECT_EQ(config.order, 4);
  EXPECT_EQ(config.n_skills, 8);
  EXPECT_EQ(config.n_splits, 1);
  EXPECT_FALSE(config.relaxed_bernoulli);
  EXPECT_FALSE(config.train_layer_norms);
  EXPECT_EQ(config.router_granularity, "layer");
  EXPECT_NO_THROW(validate_fields(config));
  EXPECT_NO_THROW(validate(config, 1024, 2816));
}

TEST(AdapterConfig, AcceptsEveryMethodWithItsReferenceShape) {
  EXPECT_NO_THROW(validate(make("lora", 1, 1, 1, 1, 1), 12, 10));
  EXPECT_NO_THROW(validate(make("tlora", 16, 4, 1, 1, 1), 1024, 2816));
  EXPECT_NO_THROW(validate(make("poly", 1, 1, 8, 1, 36), 1024, 2816));
  EXPECT_NO_THROW(validate(make("mhr", 1, 1, 8, 4, 36), 1024, 2816));
  EXPECT_NO_THROW(validate(make("tensorpoly-1", 16, 4, 8, 1, 36), 1024, 2816));
  EXPECT_NO_THROW(validate(make("tensorpoly-2", 16, 4, 8, 4, 36), 1024, 2816));
  EXPECT_NO_THROW(validate(make("none", 0, 0, 0, 0, 0), 1024, 2816));
}

TEST(AdapterConfig, RefusesInvalidFieldsNamingFieldAndAllowedValues) {
  expect_refused([] { validate_fields(make("loraa", 4, 1, 1, 1, 1)); }, "method",
                 {"loraa", "lora", "tlora", "poly", "mhr", "tensorpoly-1", "tensorpoly-2", "none"});
  expect_refused([] { validate_fields(make("lora", 0, 1, 1, 1, 1)); }, "rank", {">= 1", "got 0"});
  expect_refused([] { validate_fields(make("poly", 1, 1, 0, 1, 3)); }, "n_skills", {">= 1"});
  expect_refused([] { validate_fields(make("poly", 1, 1, 2, 1, 0)); }, "n_tasks", {">= 1"});
  expect_refused([] { validate_fields(make("tensorpoly-1", 4, 3, 2, 1, 2)); }, "order",
                 {"1, 2, 4", "got 3"});
  expect_refused([] { validate_fields(make("tlora", 4, 8, 1, 1, 1)); }, "order", {"1, 2, 4"});
  expect_refused([] { validate_fields(make("tensorpoly-1", 4, 2, 2, 2, 2)); }, "n_splits",
                 {"must be 1"});
  expect_refused([] { validate_fields(make("poly", 4, 1, 2, 2, 2)); }, "n_splits",
                 {"must be 1", "mhr"});
  expect_refused([] { validate_fields(make("mhr", 4, 1, 2, 1, 2)); }, "n_splits", {">= 2"});
  expect_refused([] { validate_fields(make("tensorpoly-2", 4, 4, 2, 2, 2)); }, "n_splits",
                 {"equal order", "4"});
  // The allowed splits are the divisors >= 2 of gcd(in, out) (mhr needs two or more).
  expect_refused([] { validate(make("mhr", 4, 1, 2, 3, 2), 16, 12); }, "n_splits",
                 {"n_splits (3) must divide in_features (16) and out_features (12)",
                  "allowed: 2, 4,", "gcd(16, 12) = 4"});
  expect_refused([] { validate(make("mhr", 4, 1, 2, 4, 2), 16, 10); }, "n_splits",
                 {"divide", "allowed: 2,", "gcd(16, 10) = 2"});
  expect_refused([] { validate(make("mhr", 4, 1, 2, 5, 2), 48, 36); }, "n_splits",
                 {"allowed: 2, 3, 4, 6, 12,", "= 12"});
  expect_refused([] { validate(make("mhr", 4, 1, 2, 2, 2), 9, 10); }, "n_splits",
                 {"gcd(9, 10) = 1", "poly"});
  EXPECT_NO_THROW(validate(make("mhr", 4, 1, 2, 4, 2), 16, 12));

  AdapterConfig config = make("poly", 2, 1, 2, 1, 2);
  config.temperature = 0.0;
  expect_refused([&] { validate_fields(config); }, "temperature", {"> 0"});
  config.temperature = 1.0;
  config.router_granularity = "encoder";
  expect_refused([&] { validate_fields(config); }, "router_granularity",
                 {"layer", "block", "model", "encoder"});
  config.router_granularity = "block";
  config.module_regex = "(unclosed";
  expect_refused([&] { validate_fields(config); }, "module_regex", {"regular expression"});
  config.module_regex = ".*";
  config.layer_regex = "";
  expect_refused([&] { validate_fields(config); }, "layer_regex", {"empty"});
}

TEST(AdapterConfig, RefusesInvalidRegexesForEveryMethod) {
  // Dense methods are injected by the same regexes as routed ones.
  for (const std::string method : {"lora", "tlora", "poly", "tensorpoly-1"}) {
    SCOPED_TRACE(method);
    AdapterConfig config = make(method, 2, 2, 2, 1, 2);
    config.module_regex = "(unclosed";
    expect_refused([&] { validate_fields(config); }, "module_regex",
                   {"invalid regular expression '(unclosed': "});
    expect_refused([&] { validate(config, 8, 8); }, "module_regex", {"'(unclosed'"});
    config.module_regex = ".*";
    config.layer_regex = "q|[k";
    expect_refused([&] { validate_fields(config); }, "layer_regex",
                   {"invalid regular expression 'q|[k': "});
    config.layer_regex = "";
    expect_refused([&] { validate_fields(config); }, "layer_regex", {"empty"});
  }
  // Through JSON as well, so an experiment file is refused at the edge.
  expect_refused(
      [] {
        adapter_config_from_json(nlohmann::json{{"method", "lora"}, {"module_regex", "(unclosed"}});
      },
      "module_regex", {"invalid regular expression"});
  // "none" adapts nothing, so it reads no field.
  AdapterConfig none = make("none", 0, 0, 0, 0, 0);
  none.module_regex = "(unclosed";
  EXPECT_NO_THROW(validate_fields(none));
}

TEST(AdapterConfig, IgnoresFieldsTheMethodDoesNotUse) {
  // LoRA uses neither order nor skills/splits/tasks; Poly does not use order.
  EXPECT_NO_THROW(validate(make("lora", 2, 3, 0, 0, 0), 8, 8));
  EXPECT_NO_THROW(validate(make("poly", 2, 7, 2, 1, 2), 8, 8));
  EXPECT_NO_THROW(validate(make("tlora", 2, 2, 0, 5, 0), 8, 8));
}

TEST(AdapterConfig, LeafSizeIsTheIntegerCeilingRoot) {
  // adapters.md §5 and fixtures.
  EXPECT_EQ(leaf_size(1024, 4), 6);
  EXPECT_EQ(leaf_size(2048, 4), 7);
  EXPECT_EQ(leaf_size(2816, 4), 8);
  EXPECT_EQ(leaf_size(5120, 4), 9);
  EXPECT_EQ(leaf_size(1024, 2), 32);
  EXPECT_EQ(leaf_size(2048, 2), 46);
  EXPECT_EQ(leaf_size(2816, 2), 54);
  EXPECT_EQ(leaf_size(81, 4), 3);
  EXPECT_EQ(leaf_size(82, 4), 4);
  EXPECT_EQ(leaf_size(16, 4), 2);
  EXPECT_EQ(leaf_size(1, 4), 1);
  EXPECT_EQ(leaf_size(9, 1), 9);
  // Exhaustive: d^k >= n and (d-1)^k < n.
  for (int64_t k : {2, 3, 4, 8}) {
    for (int64_t n = 1; n <= 20000; ++n) {
      const int64_t d = leaf_size(n, k);
      auto power = [k](int64_t base) {
        int64_t p = 1;
        for (int64_t i = 0; i < k; ++i) p *= base;
        return p;
      };
      ASSERT_GE(power(d), n) << "n " << n << " k " << k;
      ASSERT_LT(power(d - 1), n) << "n " << n << " k " << k;
    }
  }
  EXPECT_THROW(leaf_size(0, 2), std::invalid_argument);
}

TEST(AdapterConfig, ParameterFormulasFollowTheTable) {
  // T5-large sized layer, in 1024 (d_a 6 at order 4) -> out 2816 (d_b 8).
  const int64_t in = 1024, out = 2816;
  EXPECT_EQ(trainable_parameters_per_layer(make("lora", 16, 1, 1, 1, 1), in, out), 16 * (in + out));
  EXPECT_EQ(trainable_parameters_per_layer(make("poly", 1, 1, 8, 1, 36), in, out),
            8 * 1 * (in + out) + 36 * 8);
  EXPECT_EQ(trainable_parameters_per_layer(make("mhr", 1, 1, 8, 4, 36), in, out),
            8 * 1 * (in + out) + 36 * 4 * 8);
  EXPECT_EQ(trainable_parameters_per_layer(make("tlora", 16, 4, 1, 1, 1), in, out),
            4 * 16 * (6 + 8));
  EXPECT_EQ(trainable_parameters_per_layer(make("tensorpoly-1", 16, 4, 8, 1, 36), in, out),
            4 * 8 * 16 * (6 + 8) + 36 * 8);
  EXPECT_EQ(trainable_parameters_per_layer(make("tensorpoly-2", 16, 4, 8, 4, 36), in, out),
            4 * 8 * 16 * (6 + 8) + 36 * 4 * 8);
  EXPECT_EQ(trainable_parameters_per_layer(make("none", 16, 4, 8, 4, 36), in, out), 0);

  // LayerNorm affines are counted only when trained.
  const int64_t l2_order4 = 16 * (6 * 6 + 8 * 8);
  const int64_t l2_order2 = 16 * (32 * 32 + 54 * 54);
  for (const std::string method : {"tlora", "tensorpoly-1", "tensorpoly-2"}) {
    for (int64_t order : {1, 2, 4}) {
      AdapterConfig config = make(method, 16, order, method == "tlora" ? 1 : 8,
                                  method == "tensorpoly-2" ? order : 1, 36);
      const int64_t without = trainable_parameters_per_layer(config, in, out);
      config.train_layer_norms = true;
      const int64_t with = trainable_parameters_per_layer(config, in, out);
      int64_t expected_ln = 0;
      if (order == 2) expected_ln = 2 * l2_order2;
      if (order == 4) expected_ln = (method == "tensorpoly-2" ? 4 : 2) * l2_order4;
      EXPECT_EQ(with - without, expected_ln) << method << " order " << order;
      EXPECT_EQ(layer_norm_parameters(config, in, out), expected_ln);
    }
  }
  // Order 1 leaves are the full width.
  EXPECT_EQ(adapter_weight_parameters(make("tensorpoly-1", 4, 1, 3, 1, 2), 9, 7),
            1 * 3 * 4 * (9 + 7));
}

TEST(AdapterConfig, RouterScopesAndModelTotals) {
  EXPECT_EQ(router_scope("encoder.block.3.layer.0.SelfAttention.q", "layer"),
            "encoder.block.3.layer.0.SelfAttention.q");
  EXPECT_EQ(router_scope("encoder.block.3.layer.0.SelfAttention.q", "block"), "encoder.block.3");
  EXPECT_EQ(router_scope("block.12.ff.wo", "block"), "block.12");
  EXPECT_EQ(router_scope("decoder.block.1.layer.1.EncDecAttention.k", "model"), "model");
  expect_refused([] { router_scope("encoder.blocks.1.q", "block"); }, "router_granularity",
                 {"block.<index>"});

  const std::vector<AdaptedLayerShape> layers = {{"encoder.block.0.attn.q", 8, 8},
                                                 {"encoder.block.0.attn.k", 8, 8},
                                                 {"encoder.block.1.attn.q", 8, 8},
                                                 {"decoder.block.0.attn.q", 8, 4}};
  AdapterConfig config = make("poly", 2, 1, 3, 1, 5);
  const int64_t router = 5 * 3;
  const int64_t weights = 3 * 2 * (16 * 3 + 12);
  config.router_granularity = "layer";
  EXPECT_EQ(trainable_parameters(config, layers), weights + 4 * router);
  config.router_granularity = "block";
  EXPECT_EQ(trainable_parameters(config, layers), weights + 3 * router);
  config.router_granularity = "model";
  EXPECT_EQ(trainable_parameters(config, layers), weights + router);
}

TEST(AdapterConfig, JsonRoundTripAndFieldNamedErrors) {
  AdapterConfig config = make("mhr", 2, 1, 4, 2, 7);
  config.relaxed_bernoulli = true;
  config.temperature = 0.5;
  config.router_granularity = "block";
  config.train_layer_norms = true;
  const nlohmann::json json = adapter_config_to_json(config);
  const AdapterConfig back = adapter_config_from_json(json);
  EXPECT_EQ(adapter_config_to_json(back), json);
  EXPECT_EQ(back.method, "mhr");
  EXPECT_EQ(back.n_splits, 2);
  EXPECT_DOUBLE_EQ(back.temperature, 0.5);

  // ADL hooks.
  nlohmann::json wrapped = {{"adapter", config}};
  EXPECT_EQ(wrapped["adapter"].get<AdapterConfig>().n_tasks, 7);

  // Missing fields keep defaults.
  EXPECT_EQ(adapter_config_from_json(nlohmann::json{{"method", "lora"}}).rank, 16);

  expect_refused(
      [] {
        adapter_config_from_json(nlohmann::json{{"rank", "four"}});
      },
      "rank", {"integer"});
  expect_refused(
      [] {
        adapter_config_from_json(nlohmann::json{{"rank", 2.5}});
      },
      "rank", {"integer"});
  expect_refused(
      [] {
        adapter_config_from_json(nlohmann::json{{"skills", 2}});
      },
      "skills", {"unknown", "n_skills"});
  expect_refused(
      [] {
        adapter_config_from_json(nlohmann::json{{"relaxed_bernoulli", 1}});
      },
      "relaxed_bernoulli", {"true or false"});
  expect_refused(
      [] {
        adapter_config_from_json(nlohmann::json{{"method", "tensorpoly-2"}, {"n_splits", 2}});
      },
      "n_splits", {"equal order"});
}

}  // namespace
}  // namespace tensorpoly
