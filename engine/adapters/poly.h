// Poly and multi-head routing (adapters.md §2 `poly`, `mhr`): S LoRA skills per
// split, mixed per task; split q owns a contiguous block of A's input rows and of
// B's output columns, both mixed with the same weights w[q, ·].
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "adapters/adapter.h"

namespace tensorpoly::adapters {

class PolyImpl : public RoutedAdapterImpl {
 public:
  PolyImpl(const AdapterConfig& config, const LinearProjectionImpl& base,
           std::shared_ptr<TaskContext> context, std::shared_ptr<RouterImpl> router = nullptr);

  torch::Tensor lora_a;  // [Q, S, in/Q, r], U(−std, std)
  torch::Tensor lora_b;  // [Q, S, r, out/Q], zeros

 protected:
  std::pair<torch::Tensor, torch::Tensor> task_factors(const torch::Tensor& weights) override;
};

}  // namespace tensorpoly::adapters
