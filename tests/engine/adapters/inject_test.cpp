// Injection into a small T5-shaped module tree: which layers are adapted, frozen
// bases, shared routers per granularity, parameter totals and routing collection.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/inject.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "adapters/factory.h"

namespace tensorpoly::adapters {
namespace {

constexpr int64_t kWidth = 8;
constexpr int64_t kFeedForward = 12;

// Names follow T5: encoder.block.<i>.layer.0.SelfAttention.{q,k,v,o,qk},
// encoder.block.<i>.layer.1.DenseReluDense.{wi_0,wi_1,wo}, and lm_head on the root.
class Attention : public ProjectionOwner {
 public:
  Attention() {
    for (auto* name : {"q", "k", "v", "o", "qk"}) {
      register_projection(name, members_[name],
                          std::make_shared<LinearProjectionImpl>(kWidth, kWidth));
    }
    relative_bias = register_parameter("relative_bias", torch::randn({4}));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return members_["o"]->forward(members_["q"]->forward(x) + members_["k"]->forward(x) +
                                  members_["v"]->forward(x) + members_["qk"]->forward(x));
  }
  torch::Tensor relative_bias;

 private:
  std::map<std::string, std::shared_ptr<ProjectionImpl>> members_;
};

class FeedForward : public ProjectionOwner {
 public:
  FeedForward() {
    register_projection("wi_0", wi_0, std::make_shared<LinearProjectionImpl>(kWidth, kFeedForward));
    register_projection("wi_1", wi_1, std::make_shared<LinearProjectionImpl>(kWidth, kFeedForward));
    register_projection("wo", wo, std::make_shared<LinearProjectionImpl>(kFeedForward, kWidth));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return wo->forward(torch::gelu(wi_0->forward(x)) * wi_1->forward(x));
  }
  std::shared_ptr<ProjectionImpl> wi_0, wi_1, wo;
};

class AttentionLayer : public torch::nn::Module {
 public:
  AttentionLayer() { attention = register_module("SelfAttention", std::make_shared<Attention>()); }
  std::shared_ptr<Attention> attention;
};

class FeedForwardLayer : public torch::nn::Module {
 public:
  FeedForwardLayer() { ff = register_module("DenseReluDense", std::make_shared<FeedForward>()); }
  std::shared_ptr<FeedForward> ff;
};

class Block : public torch::nn::Module {
 public:
  Block() {
    attention_layer = std::make_shared<AttentionLayer>();
    ff_layer = std::make_shared<FeedForwardLayer>();
    layer = register_module("layer", torch::nn::ModuleList(attention_layer, ff_layer));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    const auto h = x + attention_layer->attention->forward(x);
    return h + ff_layer->ff->forward(h);
  }
  std::shared_ptr<AttentionLayer> attention_layer;
  std::shared_ptr<FeedForwardLayer> ff_layer;
  torch::nn::ModuleList layer{nullptr};
};

class Stack : public torch::nn::Module {
 public:
  Stack() {
    blocks = {std::make_shared<Block>(), std::make_shared<Block>()};
    block = register_module("block", torch::nn::ModuleList(blocks[0], blocks[1]));
  }
  torch::Tensor forward(torch::Tensor x) {
    for (auto& b : blocks) x = b->forward(x);
    return x;
  }
  std::vector<std::shared_ptr<Block>> blocks;
  torch::nn::ModuleList block{nullptr};
};

class TinyModel : public ProjectionOwner {
 public:
  explicit TinyModel(std::shared_ptr<TaskContext> context) : context_(std::move(context)) {
    encoder = register_module("encoder", std::make_shared<Stack>());
    register_projection("lm_head", lm_head, std::make_shared<LinearProjectionImpl>(kWidth, 5));
  }
  // The model sets the shared task context before running its layers.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& task_ids) {
    context_->task_ids = task_ids;
    return lm_head->forward(encoder->forward(x));
  }
  std::shared_ptr<Stack> encoder;
  std::shared_ptr<ProjectionImpl> lm_head;

 private:
  std::shared_ptr<TaskContext> context_;
};

AdapterConfig config_for(const std::string& method, const std::string& granularity) {
  AdapterConfig config;
  config.method = method;
  config.rank = 2;
  config.order = method == "tensorpoly-2" ? 2 : (method == "tlora" ? 2 : 1);
  config.n_skills = 3;
  config.n_splits = method == "mhr" ? 2 : (method == "tensorpoly-2" ? config.order : 1);
  config.n_tasks = 4;
  config.router_granularity = granularity;
  config.module_regex = ".*SelfAttention|.*EncDecAttention|.*DenseReluDense";
  config.layer_regex = "q|k|v|o|wi_1.*|wi_0.*|wo";
  return config;
}

std::vector<std::string> expected_layers() {
  std::vector<std::string> names;
  for (int block = 0; block < 2; ++block) {
    const std::string prefix = "encoder.block." + std::to_string(block) + ".layer.";
    for (auto* name : {"q", "k", "v", "o"}) names.push_back(prefix + "0.SelfAttention." + name);
    for (auto* name : {"wi_0", "wi_1", "wo"}) names.push_back(prefix + "1.DenseReluDense." + name);
  }
  return names;
}

int64_t trainable_count(torch::nn::Module& module) {
  int64_t count = 0;
  for (const auto& parameter : module.parameters()) {
    if (parameter.requires_grad()) count += parameter.numel();
  }
  return count;
}

std::vector<AdaptedLayerShape> layer_shapes(torch::nn::Module& root) {
  std::vector<AdaptedLayerShape> shapes;
  for (const auto& [name, adapter] : find_adapters(root)) {
    shapes.push_back({name, adapter->in_features(), adapter->out_features()});
  }
  return shapes;
}

TEST(Inject, AdaptsTheMatchingProjectionsAndFreezesTheirBase) {
  torch::manual_seed(11);
  auto context = std::make_shared<TaskContext>();
  auto model = std::make_shared<TinyModel>(context);
  const auto x = torch::randn({2, 3, kWidth});
  const auto ids = torch::tensor({1, 3});
  torch::Tensor before;
  {
    torch::NoGradGuard no_grad;
    before = model->forward(x, ids);
  }
  auto* q_weight = model->encoder->blocks[0]
                       ->attention_layer->attention->projections()
                       .at("q")
                       ->named_parameters()["weight"]
                       .data_ptr();

  const auto adapted = inject_adapters(*model, config_for("poly", "layer"), context);
  EXPECT_EQ(adapted, expected_layers());  // qk and lm_head do not match (full match)

  // The adapter took over the base tensors, frozen.
  const auto named = model->named_parameters();
  EXPECT_EQ(named["encoder.block.0.layer.0.SelfAttention.q.weight"].data_ptr(), q_weight);
  EXPECT_FALSE(named["encoder.block.0.layer.0.SelfAttention.q.weight"].requires_grad());
  EXPECT_TRUE(named.contains("encoder.block.1.layer.1.DenseReluDense.wo.lora_a"));
  EXPECT_TRUE(named.contains("encoder.block.1.layer.1.DenseReluDense.wo.module_logits"));
  EXPECT_FALSE(named.contains("lm_head.lora_a"));
  EXPECT_FALSE(named.contains("encoder.block.0.layer.0.SelfAttention.qk.lora_a"));
  // The member pointers now call the adapters.
  EXPECT_NE(std::dynamic_pointer_cast<AdapterImpl>(model->encoder->blocks[1]->ff_layer->ff->wi_1),
            nullptr);

  // Poly's B starts at zero: the model computes what it computed before.
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::allclose(model->forward(x, ids), before, 1e-5, 1e-6));
  for (const auto& [name, adapter] : find_adapters(*model)) {
    EXPECT_EQ(adapter->task_context(), context) << name;
  }
}

TEST(Inject, RefusesSecondInjectionAndUnmatchedRegexes_NoneAdaptsNothing) {
  auto context = std::make_shared<TaskContext>();
  auto model = std::make_shared<TinyModel>(context);
  EXPECT_TRUE(inject_adapters(*model, config_for("none", "layer"), context).empty());
  EXPECT_TRUE(find_adapters(*model).empty());
  auto unmatched = config_for("lora", "layer");
  unmatched.layer_regex = "query";
  EXPECT_THROW(inject_adapters(*model, unmatched, context), c10::Error);
  inject_adapters(*model, config_for("lora", "layer"), context);
  EXPECT_THROW(inject_adapters(*model, config_for("lora", "layer"), context), c10::Error);
  auto invalid = config_for("tensorpoly-1", "layer");
  invalid.order = 3;
  EXPECT_THROW(inject_adapters(*std::make_shared<TinyModel>(context), invalid, context),
               ConfigError);
}

TEST(Inject, RefusesAnInvalidRegexWithAConfigErrorForEveryMethod) {
  auto context = std::make_shared<TaskContext>();
  for (const std::string method : {"lora", "tlora", "poly"}) {
    SCOPED_TRACE(method);
    auto model = std::make_shared<TinyModel>(context);
    auto config = config_for(method, "layer");
    config.module_regex = "(unclosed";
    try {
      inject_adapters(*model, config, context);
      ADD_FAILURE() << "accepted module_regex '(unclosed'";
    } catch (const ConfigError& error) {  // not a bare std::regex_error
      EXPECT_TRUE(error.names("adapter.module_regex")) << error.what();
    }
    EXPECT_TRUE(find_adapters(*model).empty());
  }
}

TEST(Inject, RouterGranularitySharesOneParameterPerScope) {
  torch::manual_seed(12);
  for (const std::string method : {"poly", "mhr", "tensorpoly-1", "tensorpoly-2"}) {
    for (const std::string granularity : {"layer", "block", "model"}) {
      SCOPED_TRACE(method + " / " + granularity);
      auto context = std::make_shared<TaskContext>();
      auto model = std::make_shared<TinyModel>(context);
      const auto config = config_for(method, granularity);
      inject_adapters(*model, config, context);
      train_only_adapters(*model);

      // Each router appears once among the parameters, under its scope.
      std::vector<std::string> router_names;
      std::set<const void*> tensors;
      for (const auto& item : model->named_parameters()) {
        EXPECT_TRUE(tensors.insert(item.value().unsafeGetTensorImpl()).second)
            << item.key() << " registered twice";
        if (item.key().size() >= 13 &&
            item.key().rfind("module_logits") == item.key().size() - 13) {
          router_names.push_back(item.key());
        }
      }
      if (granularity == "layer") {
        EXPECT_EQ(router_names.size(), expected_layers().size());
      } else if (granularity == "block") {
        EXPECT_EQ(router_names, (std::vector<std::string>{"encoder.block.0.router.module_logits",
                                                          "encoder.block.1.router.module_logits"}));
      } else {
        EXPECT_EQ(router_names, (std::vector<std::string>{"router.module_logits"}));
      }

      // Adapters of one scope hold the same router object.
      const auto adapters = find_adapters(*model);
      std::set<const RouterImpl*> routers;
      for (const auto& [name, adapter] : adapters) routers.insert(adapter->router().get());
      EXPECT_EQ(routers.size(), router_names.size());

      // Trainable parameters: the closed form with one router per scope.
      EXPECT_EQ(trainable_count(*model), trainable_parameters(config, layer_shapes(*model)));

      // The shared logits' gradient sums over the scope's layers (checked against
      // finite differences for the one model-wide router).
      // In float64 (also checks that to() keeps routers and adapters in step).
      model->to(torch::kDouble);
      const auto x = torch::randn({2, 3, kWidth}, torch::kDouble);
      const auto ids = torch::tensor({0, 2});
      {
        torch::NoGradGuard no_grad;
        for (auto& parameter : model->parameters()) parameter.normal_(0.0, 0.3);
      }
      model->zero_grad();
      model->forward(x, ids).pow(2).sum().backward();
      const auto shared_logits = adapters.front().second->router()->module_logits;
      const auto total = shared_logits.grad().clone();
      EXPECT_GT(total.abs().sum().item<double>(), 0.0);
      EXPECT_EQ(total[1].abs().sum().item<double>(), 0.0);  // task 1 absent
      if (granularity == "model") {
        // Finite-difference check of one logit through all 14 layers.
        torch::NoGradGuard no_grad;
        const double step = 1e-5;
        auto loss_at = [&](double delta) {
          shared_logits[0][0] += delta;
          const double value = model->forward(x, ids).pow(2).sum().item<double>();
          shared_logits[0][0] -= delta;
          return value;
        };
        const double numeric = (loss_at(step) - loss_at(-step)) / (2 * step);
        EXPECT_NEAR(total[0][0].item<double>(), numeric, 1e-6 * std::max(1.0, std::abs(numeric)));
      }
    }
  }
}

TEST(Inject, CollectRoutingReportsEachRouterOnceWithItsKindAndShape) {
  torch::manual_seed(13);
  struct Case {
    std::string method;
    RoutingKind kind;
    std::vector<int64_t> shape;
  };
  for (const auto& test : {Case{"poly", RoutingKind::kSkills, {4, 3}},
                           Case{"tensorpoly-1", RoutingKind::kSkills, {4, 3}},
                           Case{"mhr", RoutingKind::kSplits, {2, 4, 3}},
                           Case{"tensorpoly-2", RoutingKind::kOrders, {2, 4, 3}}}) {
    for (const std::string granularity : {"layer", "block", "model"}) {
      SCOPED_TRACE(test.method + " / " + granularity);
      auto context = std::make_shared<TaskContext>();
      auto model = std::make_shared<TinyModel>(context);
      inject_adapters(*model, config_for(test.method, granularity), context);
      {
        torch::NoGradGuard no_grad;
        for (auto& parameter : model->parameters()) parameter.normal_(0.0, 1.0);
      }
      const auto matrices = collect_routing(*model);
      std::vector<std::string> names;
      for (const auto& matrix : matrices) names.push_back(matrix.layer);
      if (granularity == "layer") {
        EXPECT_EQ(names, expected_layers());
      }
      if (granularity == "block") {
        EXPECT_EQ(names, (std::vector<std::string>{"encoder.block.0", "encoder.block.1"}));
      }
      if (granularity == "model") {
        EXPECT_EQ(names, (std::vector<std::string>{"model"}));
      }
      for (const auto& matrix : matrices) {
        EXPECT_EQ(matrix.kind, test.kind);
        EXPECT_EQ(matrix.shape, test.shape);
        ASSERT_EQ(matrix.values.size(), static_cast<size_t>(matrix.n_blocks() * 4 * 3));
      }
      // Values: normalised sigmoid of logits[task, block·S + skill].
      const auto& first = matrices.front();
      const auto adapter = find_adapters(*model).front().second;
      const auto logits = adapter->router()->module_logits.detach();
      for (int64_t block = 0; block < first.n_blocks(); ++block) {
        for (int64_t task = 0; task < 4; ++task) {
          const auto p = torch::sigmoid(logits[task].narrow(0, block * 3, 3).to(torch::kDouble));
          const auto w = p / (p.sum() + 1e-12);
          for (int64_t skill = 0; skill < 3; ++skill) {
            EXPECT_NEAR(first.at(block, task, skill), w[skill].item<double>(), 1e-6);
          }
        }
      }
    }
  }
  // Dense methods have no routing to report.
  auto context = std::make_shared<TaskContext>();
  auto model = std::make_shared<TinyModel>(context);
  inject_adapters(*model, config_for("tlora", "layer"), context);
  EXPECT_TRUE(collect_routing(*model).empty());
}

TEST(Inject, TrainOnlyAdaptersFreezesTheRestAndFollowsTheLayerNormSwitch) {
  for (bool train_layer_norms : {false, true}) {
    auto context = std::make_shared<TaskContext>();
    auto model = std::make_shared<TinyModel>(context);
    auto config = config_for("tensorpoly-2", "block");
    config.train_layer_norms = train_layer_norms;
    inject_adapters(*model, config, context);
    train_only_adapters(*model);
    for (const auto& item : model->named_parameters()) {
      const std::string& name = item.key();
      bool expected = name.find("weight_leafs") != std::string::npos ||
                      name.find("module_logits") != std::string::npos;
      if (name.find(".ln1_") != std::string::npos || name.find(".ln2_") != std::string::npos) {
        expected = train_layer_norms;
      }
      EXPECT_EQ(item.value().requires_grad(), expected) << name;
    }
    EXPECT_EQ(trainable_count(*model), trainable_parameters(config, layer_shapes(*model)));
  }
}

}  // namespace
}  // namespace tensorpoly::adapters
