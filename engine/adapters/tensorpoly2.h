// TensorPoly-II (adapters.md §2 `tensorpoly-2`): one router block per tensor
// order; the leaves of order o are mixed with w[o, ·] (scaled by c[o] = Σ_s w[o, s]),
// then multiplied, with the LayerNorms applied after routing (ln1 on the pair
// (0, 1), ln2 on the pair (2, 3)).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "adapters/tensor_product_adapter.h"

namespace tensorpoly::adapters {

class TensorPoly2Impl : public TensorProductAdapterImpl {
 public:
  TensorPoly2Impl(const AdapterConfig& config, const LinearProjectionImpl& base,
                  std::shared_ptr<TaskContext> context,
                  std::shared_ptr<RouterImpl> router = nullptr);

  // Leaves are Xavier-uniform; ln1 on the pair (0, 1), ln2 on the pair (2, 3).
  bool routes_leaves() const override { return true; }

 protected:
  // Factors depend on the routing: built once per row of `weights`.
  std::pair<torch::Tensor, torch::Tensor> task_factors(const torch::Tensor& weights) override;
};

}  // namespace tensorpoly::adapters
