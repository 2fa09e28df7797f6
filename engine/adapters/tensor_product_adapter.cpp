// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/tensor_product_adapter.h"

#include <map>

#include "adapters/factor_bank.h"
#include "adapters/inject.h"

namespace tensorpoly::adapters {

TensorProductAdapterImpl::TensorProductAdapterImpl(const AdapterConfig& config,
                                                   const LinearProjectionImpl& base,
                                                   std::shared_ptr<TaskContext> context,
                                                   int64_t n_blocks, RoutingKind kind,
                                                   std::shared_ptr<RouterImpl> router)
    : RoutedAdapterImpl(config, base, std::move(context), n_blocks, kind, std::move(router)) {
  set_factor_bank(std::make_shared<FactorBank>());
}

TensorProductAdapterImpl::~TensorProductAdapterImpl() {
  if (bank_) bank_->remove(this);
}

void TensorProductAdapterImpl::set_factor_bank(std::shared_ptr<FactorBank> bank) {
  TORCH_CHECK(bank != nullptr, config_.method, " adapter: the factor bank must not be null");
  if (bank_) bank_->remove(this);
  bank_ = std::move(bank);
  bank_->add(this);
}

TensorProductAdapterImpl::FactorInputs TensorProductAdapterImpl::factor_inputs(Side side) const {
  const bool a_side = side == Side::kA;
  FactorInputs inputs;
  inputs.leaves = a_side ? weight_leafs_a : weight_leafs_b;
  inputs.width = a_side ? in_features() : out_features();
  const auto& ln1 = a_side ? ln1_a : ln1_b;
  const auto& ln2 = a_side ? ln2_a : ln2_b;
  for (const auto* norm : {&ln1, &ln2}) {
    if (norm->is_empty()) continue;
    inputs.gammas.push_back((*norm)->weight);
    inputs.betas.push_back((*norm)->bias);
  }
  return inputs;
}

std::pair<torch::Tensor, torch::Tensor> TensorProductAdapterImpl::routed_factors(
    const TaskGrouping& tasks) {
  return bank_->routed_factors(*this, *task_context(), tasks);
}

namespace {

std::vector<std::shared_ptr<TensorProductAdapterImpl>> tensor_product_adapters(
    torch::nn::Module& root) {
  std::vector<std::shared_ptr<TensorProductAdapterImpl>> found;
  for (const auto& [name, adapter] : find_adapters(root)) {
    if (auto member = std::dynamic_pointer_cast<TensorProductAdapterImpl>(adapter)) {
      found.push_back(std::move(member));
    }
  }
  return found;
}

}  // namespace

void share_factor_bank(torch::nn::Module& root) {
  std::map<const TaskContext*, std::shared_ptr<FactorBank>> banks;
  for (const auto& adapter : tensor_product_adapters(root)) {
    auto& bank = banks[adapter->task_context().get()];
    if (!bank) bank = std::make_shared<FactorBank>();
    adapter->set_factor_bank(bank);
  }
}

void separate_factor_banks(torch::nn::Module& root) {
  for (const auto& adapter : tensor_product_adapters(root)) {
    adapter->set_factor_bank(std::make_shared<FactorBank>());
  }
}

}  // namespace tensorpoly::adapters
