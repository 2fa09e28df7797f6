// SPDX-License-Identifier: GPL-3.0-or-later
#include "train/optim_groups.h"

namespace tensorpoly::train {

std::vector<ParameterGroup> make_parameter_groups(const torch::nn::Module& model,
                                                  const std::set<std::string>& base_names,
                                                  const GroupRates& rates) {
  ParameterGroup adapters{"adapters", rates.adapter_learning_rate, rates.weight_decay, {}, {}};
  // Router logits are never decayed: decay pulls every logit toward 0, i.e. toward uniform
  // routing (at lr 0.1 and decay 0.01 it halves them over a preset run). The reference
  // (mttl zs_code, get_optimizer) puts module_logits in a group of their own without
  // weight decay, and its T0 configurations use weight_decay 0 anyway.
  ParameterGroup routers{"routers", rates.router_learning_rate, 0.0, {}, {}};
  ParameterGroup base{"base", rates.base_learning_rate, rates.weight_decay, {}, {}};
  const std::string router_suffix = "module_logits";
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    if (!item.value().requires_grad()) continue;
    const std::string& name = item.key();
    ParameterGroup* group = &adapters;
    if (name.size() >= router_suffix.size() &&
        name.compare(name.size() - router_suffix.size(), router_suffix.size(), router_suffix) ==
            0) {
      group = &routers;
    } else if (base_names.count(name)) {
      group = &base;
    }
    group->parameter_names.push_back(name);
    group->parameters.push_back(item.value());
  }
  std::vector<ParameterGroup> groups;
  for (ParameterGroup* group : {&adapters, &routers, &base}) {
    if (!group->parameters.empty()) groups.push_back(std::move(*group));
  }
  return groups;
}

std::unique_ptr<torch::optim::AdamW> make_optimizer(const std::vector<ParameterGroup>& groups) {
  std::vector<torch::optim::OptimizerParamGroup> param_groups;
  for (const auto& group : groups) {
    auto options = std::make_unique<torch::optim::AdamWOptions>(group.learning_rate);
    options->weight_decay(group.weight_decay).betas({0.9, 0.999}).eps(1e-8);
    param_groups.emplace_back(group.parameters, std::move(options));
  }
  torch::optim::AdamWOptions defaults(1e-3);
  return std::make_unique<torch::optim::AdamW>(std::move(param_groups), defaults);
}

void set_learning_rates(torch::optim::Optimizer& optimizer,
                        const std::vector<ParameterGroup>& groups, double factor) {
  auto& param_groups = optimizer.param_groups();
  TORCH_CHECK(param_groups.size() == groups.size(), "set_learning_rates: optimizer has ",
              param_groups.size(), " groups, expected ", groups.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    static_cast<torch::optim::AdamWOptions&>(param_groups[i].options())
        .lr(groups[i].learning_rate * factor);
  }
}

}  // namespace tensorpoly::train
