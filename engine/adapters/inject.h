// Puts adapters into a model: every projection registered by a ProjectionOwner
// whose full name matches config.module_regex, and whose child name matches
// config.layer_regex (both full matches), is replaced by the adapter of
// config.method around the same (now frozen) weight and bias.
//
// Router granularity: "layer" gives each adapter a private router (parameter
// "<layer>.module_logits"); "block" and "model" create one RouterImpl per scope
// (router_scope() in adapter_config.h), registered once as child "router" of the
// scope's module ("encoder.block.0.router.module_logits", "router.module_logits"
// on the root for "model") and referenced by every adapter of the scope, so the
// parameter appears once and its gradient sums over the scope's layers.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "adapters/adapter.h"
#include "tensorpoly/routing.h"

namespace tensorpoly::adapters {

// Returns the full names of the adapted layers, in module order. Method "none"
// adapts nothing and returns an empty list. Throws (ConfigError /
// c10::Error) on an invalid config, a layer already adapted, or when no layer
// matches the regexes.
std::vector<std::string> inject_adapters(torch::nn::Module& root, const AdapterConfig& config,
                                         std::shared_ptr<TaskContext> context);

// Every adapter below `root`, by full name, in module order.
std::vector<std::pair<std::string, std::shared_ptr<AdapterImpl>>> find_adapters(
    torch::nn::Module& root);

// Makes only adapter parameters trainable: adapter weights and routers yes,
// LayerNorm affines as config.train_layer_norms says, everything else (base model
// included) frozen.
void train_only_adapters(torch::nn::Module& root);

// Eval-mode routing weights of every router below `root`: private routers named
// after their layer, shared ones once, named after their scope ("encoder.block.0",
// "model").
std::vector<RoutingMatrix> collect_routing(torch::nn::Module& root);

}  // namespace tensorpoly::adapters
