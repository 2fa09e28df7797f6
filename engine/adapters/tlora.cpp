// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/tlora.h"

#include "adapters/phase_profile.h"
#include "adapters/tensor_product.h"

namespace tensorpoly::adapters {

TLoraImpl::TLoraImpl(const AdapterConfig& config, const LinearProjectionImpl& base,
                     std::shared_ptr<TaskContext> context)
    : DenseAdapterImpl(config, base, std::move(context)) {
  const int64_t k = config_.order, r = config_.rank;
  const int64_t d_a = leaf_size(in_features(), k), d_b = leaf_size(out_features(), k);
  weight_leafs_a = register_parameter("weight_leafs_a", kaiming_uniform({k, r, d_a}));
  weight_leafs_b = register_parameter("weight_leafs_b", kaiming_uniform({k, r, d_b}));
  if (k > 1) {
    register_pair_norm("ln1_a", ln1_a, d_a);
    register_pair_norm("ln1_b", ln1_b, d_b);
  }
}

std::pair<torch::Tensor, torch::Tensor> TLoraImpl::dense_factors() {
  // One component: leaves [k, 1, r, d]; ln1 serves both pairs at order 4.
  const PhaseScope phase(Phase::kFactorConstruction);
  const auto f_a = tensor_product_factor(weight_leafs_a.unsqueeze(1), in_features(), ln1_a, ln1_a);
  const auto f_b = tensor_product_factor(weight_leafs_b.unsqueeze(1), out_features(), ln1_b, ln1_b);
  return {f_a[0].t(), f_b[0]};
}

}  // namespace tensorpoly::adapters
