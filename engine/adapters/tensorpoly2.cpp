// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/tensorpoly2.h"

#include <cmath>

#include "adapters/phase_profile.h"
#include "adapters/tensor_product.h"

namespace tensorpoly::adapters {
namespace {

// Xavier-uniform on [k, S, r, d]: fan_in = S·r·d, fan_out = k·r·d.
torch::Tensor xavier_uniform(torch::IntArrayRef shape, const torch::TensorOptions& options) {
  const int64_t receptive = shape[2] * shape[3];
  const double bound =
      std::sqrt(6.0 / static_cast<double>(shape[1] * receptive + shape[0] * receptive));
  return torch::empty(shape, options.requires_grad(false)).uniform_(-bound, bound);
}

// Mixed leaves m_o = c[o] · Σ_s w[o, s] · leaves[o, s], c[o] = Σ_s w[o, s]:
// weights [N, k, S], leaves [k, S, r, d] -> [k, N, r, d].
torch::Tensor mix_leaves(const torch::Tensor& weights, const torch::Tensor& leaves) {
  const auto mixed = torch::einsum("nos,osrd->onrd", {weights, leaves});
  const auto c = weights.sum(-1).t();  // [k, N]
  return mixed * c.unsqueeze(-1).unsqueeze(-1);
}

}  // namespace

TensorPoly2Impl::TensorPoly2Impl(const AdapterConfig& config, const LinearProjectionImpl& base,
                                 std::shared_ptr<TaskContext> context,
                                 std::shared_ptr<RouterImpl> router)
    : TensorProductAdapterImpl(config, base, std::move(context), config.order, RoutingKind::kOrders,
                               std::move(router)) {
  const auto options = weight.options();
  register_factor_parameters(
      [&options](torch::IntArrayRef shape) { return xavier_uniform(shape, options); },
      /*second_norm=*/true);
}

std::pair<torch::Tensor, torch::Tensor> TensorPoly2Impl::task_factors(
    const torch::Tensor& weights) {
  torch::Tensor mixed_a, mixed_b;
  {
    const PhaseScope phase(Phase::kRoutingMix);
    mixed_a = mix_leaves(weights, weight_leafs_a);
    mixed_b = mix_leaves(weights, weight_leafs_b);
  }
  const PhaseScope phase(Phase::kFactorConstruction);
  const auto f_a = tensor_product_factor(mixed_a, in_features(), ln1_a, ln2_a);   // [N, r, in]
  const auto f_b = tensor_product_factor(mixed_b, out_features(), ln1_b, ln2_b);  // [N, r, out]
  return {f_a.transpose(1, 2), f_b};
}

}  // namespace tensorpoly::adapters
