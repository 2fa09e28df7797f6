// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/poly.h"

namespace tensorpoly::adapters {

PolyImpl::PolyImpl(const AdapterConfig& config, const LinearProjectionImpl& base,
                   std::shared_ptr<TaskContext> context, std::shared_ptr<RouterImpl> router)
    : RoutedAdapterImpl(config, base, std::move(context), config.n_splits,
                        config.n_splits == 1 ? RoutingKind::kSkills : RoutingKind::kSplits,
                        std::move(router)) {
  const int64_t q = config_.n_splits, s = config_.n_skills, r = config_.rank;
  lora_a = register_parameter("lora_a", kaiming_uniform({q, s, in_features() / q, r}));
  lora_b =
      register_parameter("lora_b", torch::zeros({q, s, r, out_features() / q}, weight.options()));
}

std::pair<torch::Tensor, torch::Tensor> PolyImpl::task_factors(const torch::Tensor& weights) {
  const int64_t n = weights.size(0), r = config_.rank;
  // A_b[q·(in/Q) + i, ρ] = Σ_s w[q, s] lora_a[q, s, i, ρ]
  const auto a = torch::einsum("nqs,qsir->nqir", {weights, lora_a}).reshape({n, in_features(), r});
  // B_b[ρ, q·(out/Q) + o] = Σ_s w[q, s] lora_b[q, s, ρ, o]
  const auto b = torch::einsum("nqs,qsro->nrqo", {weights, lora_b}).reshape({n, r, out_features()});
  return {a, b};
}

}  // namespace tensorpoly::adapters
