// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/tensorpoly1.h"

#include "adapters/phase_profile.h"
#include "adapters/tensor_product.h"

namespace tensorpoly::adapters {

TensorPoly1Impl::TensorPoly1Impl(const AdapterConfig& config, const LinearProjectionImpl& base,
                                 std::shared_ptr<TaskContext> context,
                                 std::shared_ptr<RouterImpl> router)
    : TensorProductAdapterImpl(config, base, std::move(context), 1, RoutingKind::kSkills,
                               std::move(router)) {
  register_factor_parameters([this](torch::IntArrayRef shape) { return kaiming_uniform(shape); },
                             /*second_norm=*/false);
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
