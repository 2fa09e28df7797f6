// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/tensorpoly1.h"

#include "adapters/phase_profile.h"
#include "adapters/tensor_product.h"

namespace tensorpoly::adapters {

TensorPoly1Impl::TensorPoly1Impl(const AdapterConfig& config, const LinearProjectionImpl& base,
                                 std::shared_ptr<TaskContext> context,
                                 std::shared_ptr<RouterImpl> router)
    : RoutedAdapterImpl(config, base, std::move(context), 1, RoutingKind::kSkills,
                        std::move(router)) {
  const int64_t k = config_.order, s = config_.n_skills, r = config_.rank;
  const int64_t d_a = leaf_size(in_features(), k), d_b = leaf_size(out_features(), k);
  weight_leafs_a = register_parameter("weight_leafs_a", kaiming_uniform({k, s, r, d_a}));
  weight_leafs_b = register_parameter("weight_leafs_b", kaiming_uniform({k, s, r, d_b}));
  if (k > 1) {
    register_pair_norm("ln1_a", ln1_a, d_a);
    register_pair_norm("ln1_b", ln1_b, d_b);
  }
}

std::pair<torch::Tensor, torch::Tensor> TensorPoly1Impl::task_factors(
    const torch::Tensor& weights) {
  const int64_t n = weights.size(0), s = config_.n_skills, r = config_.rank;
  const int64_t in = in_features(), out = out_features();
  torch::Tensor f_a, f_b;
  {
    const PhaseScope phase(Phase::kFactorConstruction);
    f_a = tensor_product_factor(weight_leafs_a, in, ln1_a, ln1_a);   // [S, r, in]
    f_b = tensor_product_factor(weight_leafs_b, out, ln1_b, ln1_b);  // [S, r, out]
  }
  const PhaseScope phase(Phase::kRoutingMix);
  const auto w = weights.reshape({n, s});
  const auto a = w.matmul(f_a.reshape({s, r * in})).view({n, r, in}).transpose(1, 2);
  const auto b = w.matmul(f_b.reshape({s, r * out})).view({n, r, out});
  return {a, b};
}

}  // namespace tensorpoly::adapters
