// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/inject.h"

#include <map>
#include <set>

#include "adapters/factory.h"
#include "adapters/tensor_product_adapter.h"
#include "tensorpoly/name_pattern.h"

namespace tensorpoly::adapters {
namespace {

// (full name, module) for root ("") and every submodule, in module order. Works
// for a root not held by a shared_ptr.
std::vector<std::pair<std::string, torch::nn::Module*>> all_modules(torch::nn::Module& root) {
  std::vector<std::pair<std::string, torch::nn::Module*>> modules = {{"", &root}};
  for (const auto& item : root.named_modules("", /*include_self=*/false)) {
    modules.emplace_back(item.key(), item.value().get());
  }
  return modules;
}

std::string join_name(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

}  // namespace

std::vector<std::string> inject_adapters(torch::nn::Module& root, const AdapterConfig& config,
                                         std::shared_ptr<TaskContext> context) {
  validate_fields(config);
  if (config.method == "none") return {};
  const NamePattern module_pattern(config.module_regex, "adapter.module_regex");
  const NamePattern layer_pattern(config.layer_regex, "adapter.layer_regex");

  struct Target {
    ProjectionOwner* owner;
    std::string child;
    std::string full_name;
    std::shared_ptr<LinearProjectionImpl> base;
  };
  std::vector<Target> targets;
  const auto modules = all_modules(root);
  std::map<std::string, torch::nn::Module*> by_name(modules.begin(), modules.end());
  for (const auto& [owner_name, module] : modules) {
    auto* owner = dynamic_cast<ProjectionOwner*>(module);
    if (owner == nullptr || !module_pattern.full_match(owner_name)) continue;
    const auto projections = owner->projections();
    for (const auto& item : owner->named_children()) {  // registration order
      const std::string& child = item.key();
      const auto found = projections.find(child);
      if (found == projections.end() || !layer_pattern.full_match(child)) continue;
      const auto& projection = found->second;
      const std::string full_name = join_name(owner_name, child);
      auto base = std::dynamic_pointer_cast<LinearProjectionImpl>(projection);
      TORCH_CHECK(base != nullptr, "inject_adapters: layer '", full_name,
                  "' is not a plain linear projection (already adapted?)");
      targets.push_back({owner, child, full_name, std::move(base)});
    }
  }
  TORCH_CHECK(!targets.empty(), "inject_adapters: no layer matches module_regex '",
              config.module_regex, "' and layer_regex '", config.layer_regex, "'");

  const bool shared_routers =
      is_routed_method(config.method) && config.router_granularity != "layer";
  std::map<std::string, std::shared_ptr<RouterImpl>> routers;
  std::vector<std::string> adapted;
  for (const auto& target : targets) {
    std::shared_ptr<RouterImpl> router;
    if (shared_routers) {
      const std::string scope = router_scope(target.full_name, config.router_granularity);
      auto& slot = routers[scope];
      if (!slot) {
        torch::nn::Module* scope_module = scope == "model" ? &root : nullptr;
        if (scope_module == nullptr) {
          const auto found = by_name.find(scope);
          TORCH_CHECK(found != by_name.end(), "inject_adapters: router scope '", scope,
                      "' of layer '", target.full_name, "' is not a module");
          scope_module = found->second;
        }
        TORCH_CHECK(scope_module->named_children().find("router") == nullptr,
                    "inject_adapters: module '", scope, "' already has a child named 'router'");
        slot = make_router(config, scope);
        slot->to(target.base->weight.device(), target.base->weight.scalar_type());
        scope_module->register_module("router", slot);
      }
      router = slot;
    }
    target.owner->replace_projection(target.child,
                                     make_adapter(config, *target.base, context, router));
    adapted.push_back(target.full_name);
  }
  // Same-shaped tensor-product layers build their factors together.
  share_factor_bank(root);
  return adapted;
}

std::vector<std::pair<std::string, std::shared_ptr<AdapterImpl>>> find_adapters(
    torch::nn::Module& root) {
  std::vector<std::pair<std::string, std::shared_ptr<AdapterImpl>>> adapters;
  for (const auto& item : root.named_modules("", /*include_self=*/false)) {
    if (auto adapter = std::dynamic_pointer_cast<AdapterImpl>(item.value())) {
      adapters.emplace_back(item.key(), std::move(adapter));
    }
  }
  return adapters;
}

void train_only_adapters(torch::nn::Module& root) {
  for (auto& parameter : root.parameters()) parameter.set_requires_grad(false);
  for (const auto& [name, adapter] : find_adapters(root)) {
    for (const auto& item : adapter->named_parameters()) {
      const std::string& key = item.key();
      bool trainable = true;
      if (key == "weight" || key == "bias") {
        trainable = false;
      } else if (key.rfind("ln", 0) == 0) {
        trainable = adapter->config().train_layer_norms;
      }
      item.value().set_requires_grad(trainable);
    }
    if (auto router = adapter->router()) router->module_logits.set_requires_grad(true);
  }
}

std::vector<RoutingMatrix> collect_routing(torch::nn::Module& root) {
  std::vector<RoutingMatrix> matrices;
  std::set<const RouterImpl*> reported;
  for (const auto& [name, adapter] : find_adapters(root)) {
    const auto router = adapter->router();
    if (!router) continue;
    if (!router->shared()) {
      matrices.push_back(to_routing_matrix(*router, name));
    } else if (reported.insert(router.get()).second) {
      matrices.push_back(to_routing_matrix(*router, router->scope()));
    }
  }
  return matrices;
}

}  // namespace tensorpoly::adapters
