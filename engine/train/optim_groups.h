// Parameter groups of the trainer's AdamW: adapter weights, router logits and (when the
// base is unfrozen) base weights, each with its own learning rate; weight decay applies to
// adapter and base weights, never to router logits.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace tensorpoly::train {

struct ParameterGroup {
  std::string name;            // "adapters", "routers", "base"
  double learning_rate = 0.0;  // before the schedule
  double weight_decay = 0.0;
  std::vector<std::string> parameter_names;
  std::vector<torch::Tensor> parameters;
};

struct GroupRates {
  double adapter_learning_rate = 1e-3;
  double router_learning_rate = 0.1;
  double base_learning_rate = 1e-4;
  double weight_decay = 0.01;  // adapters and base; router logits always get 0
};

// Splits the trainable parameters of `model` (requires_grad) into groups: names ending in
// "module_logits" are routers, names in `base_names` (the parameters the model had before
// adapters were injected) are base weights, the rest adapter weights. Empty groups are
// left out.
std::vector<ParameterGroup> make_parameter_groups(const torch::nn::Module& model,
                                                  const std::set<std::string>& base_names,
                                                  const GroupRates& rates);

// AdamW over the groups (betas 0.9/0.999, eps 1e-8), group order as given.
std::unique_ptr<torch::optim::AdamW> make_optimizer(const std::vector<ParameterGroup>& groups);

// Sets every group's learning rate to its base rate times `factor`.
void set_learning_rates(torch::optim::Optimizer& optimizer,
                        const std::vector<ParameterGroup>& groups, double factor);

}  // namespace tensorpoly::train
