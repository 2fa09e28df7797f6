// TensorPoly-I (adapters.md §2 `tensorpoly-1`): the S skills are tensor-rank
// components, each a tensor-product factor of k leaves; routing mixes the built
// factors: A_b = (Σ_s w[s] F_a[s])ᵀ, B_b = Σ_s w[s] F_b[s]. ln1 serves both pairs at
// order 4 (there is no ln2).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "adapters/tensor_product_adapter.h"

namespace tensorpoly::adapters {

class TensorPoly1Impl : public TensorProductAdapterImpl {
 public:
  TensorPoly1Impl(const AdapterConfig& config, const LinearProjectionImpl& base,
                  std::shared_ptr<TaskContext> context,
                  std::shared_ptr<RouterImpl> router = nullptr);

  bool routes_leaves() const override { return false; }

 protected:
  // Builds the S factors (they depend on the parameters only), then mixes them for
  // the N routings.
  std::pair<torch::Tensor, torch::Tensor> task_factors(const torch::Tensor& weights) override;
};

}  // namespace tensorpoly::adapters
