// LoRA (adapters.md §2 `lora`): y = x Wᵀ + bias + x lora_aᵀ lora_bᵀ / r.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "adapters/adapter.h"

namespace tensorpoly::adapters {

class LoraImpl : public DenseAdapterImpl {
 public:
  LoraImpl(const AdapterConfig& config, const LinearProjectionImpl& base,
           std::shared_ptr<TaskContext> context);

  torch::Tensor lora_a;  // [r, in], U(−std, std)
  torch::Tensor lora_b;  // [out, r], zeros

 protected:
  std::pair<torch::Tensor, torch::Tensor> dense_factors() override;
  // The merged-weight form x (lora_b · lora_a / r)ᵀ.
  torch::Tensor low_rank_update_naive(const torch::Tensor& x, const TaskGrouping* tasks) override;
};

}  // namespace tensorpoly::adapters
