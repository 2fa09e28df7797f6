// TensorPoly-I (adapters.md §2 `tensorpoly-1`): the S skills are tensor-rank
// components, each a tensor-product factor of k leaves; routing mixes the built
// factors: A_b = (Σ_s w[s] F_a[s])ᵀ, B_b = Σ_s w[s] F_b[s].
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "adapters/adapter.h"

namespace tensorpoly::adapters {

class TensorPoly1Impl : public RoutedAdapterImpl {
 public:
  TensorPoly1Impl(const AdapterConfig& config, const LinearProjectionImpl& base,
                  std::shared_ptr<TaskContext> context,
                  std::shared_ptr<RouterImpl> router = nullptr);

  torch::Tensor weight_leafs_a;                         // [k, S, r, d_a]
  torch::Tensor weight_leafs_b;                         // [k, S, r, d_b]
  torch::nn::LayerNorm ln1_a{nullptr}, ln1_b{nullptr};  // orders 2 and 4 (both pairs)

 protected:
  // Builds the S factors (they depend on the parameters only), then mixes them for
  // the N routings — so the optimised forward builds them once per step.
  std::pair<torch::Tensor, torch::Tensor> task_factors(const torch::Tensor& weights) override;
};

}  // namespace tensorpoly::adapters
