// TLoRA (adapters.md §2 `tlora`): one LoRA whose A and B are tensor-product
// factors of k leaves — TensorPoly-I with a single component and weight exactly 1.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "adapters/adapter.h"

namespace tensorpoly::adapters {

class TLoraImpl : public DenseAdapterImpl {
 public:
  TLoraImpl(const AdapterConfig& config, const LinearProjectionImpl& base,
            std::shared_ptr<TaskContext> context);

  torch::Tensor weight_leafs_a;                         // [k, r, d_a]
  torch::Tensor weight_leafs_b;                         // [k, r, d_b]
  torch::nn::LayerNorm ln1_a{nullptr}, ln1_b{nullptr};  // [r, d²], orders 2 and 4 (both pairs)

 protected:
  std::pair<torch::Tensor, torch::Tensor> dense_factors() override;
};

}  // namespace tensorpoly::adapters
