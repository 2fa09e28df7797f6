// TensorPoly-II (adapters.md §2 `tensorpoly-2`): one router block per tensor
// order; the leaves of order o are mixed with w[o, ·] (scaled by c[o] = Σ_s w[o, s]),
// then multiplied, with the LayerNorms applied after routing (ln1 on the pair
// (0, 1), ln2 on the pair (2, 3)).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "adapters/adapter.h"

namespace tensorpoly::adapters {

class TensorPoly2Impl : public RoutedAdapterImpl {
 public:
  TensorPoly2Impl(const AdapterConfig& config, const LinearProjectionImpl& base,
                  std::shared_ptr<TaskContext> context,
                  std::shared_ptr<RouterImpl> router = nullptr);

  torch::Tensor weight_leafs_a;                         // [k, S, r, d_a], Xavier-uniform
  torch::Tensor weight_leafs_b;                         // [k, S, r, d_b], Xavier-uniform
  torch::nn::LayerNorm ln1_a{nullptr}, ln1_b{nullptr};  // orders 2 and 4
  torch::nn::LayerNorm ln2_a{nullptr}, ln2_b{nullptr};  // order 4

 protected:
  // Factors depend on the routing: built once per row of `weights`.
  std::pair<torch::Tensor, torch::Tensor> task_factors(const torch::Tensor& weights) override;
};

}  // namespace tensorpoly::adapters
