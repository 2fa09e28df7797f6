// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/router.h"

#include <limits>

namespace tensorpoly::adapters {

RouterImpl::RouterImpl(int64_t n_tasks, int64_t n_blocks, int64_t n_skills, RoutingKind kind,
                       std::string scope)
    : n_blocks_(n_blocks), n_skills_(n_skills), kind_(kind), scope_(std::move(scope)) {
  TORCH_CHECK(n_tasks >= 1 && n_blocks >= 1 && n_skills >= 1,
              "Router: n_tasks, n_blocks and n_skills must be >= 1, got ", n_tasks, ", ", n_blocks,
              ", ", n_skills);
  module_logits = register_parameter(
      "module_logits", torch::empty({n_tasks, n_blocks * n_skills}).uniform_(-1e-3, 1e-3));
}

torch::Tensor RouterImpl::route_rows(const torch::Tensor& logits_rows, bool relaxed,
                                     double temperature) const {
  auto logits = logits_rows.view({logits_rows.size(0), n_blocks_, n_skills_});
  if (relaxed) {
    TORCH_CHECK(temperature > 0.0, "Router: temperature must be > 0, got ", temperature);
    // Binary Concrete: u ~ U(0, 1) clamped to [eps, 1 − eps], eps the dtype's machine epsilon.
    const double eps = logits.scalar_type() == torch::kDouble
                           ? std::numeric_limits<double>::epsilon()
                           : std::numeric_limits<float>::epsilon();
    const auto u = torch::rand_like(logits).clamp(eps, 1.0 - eps);
    logits = (logits + torch::log(u) - torch::log1p(-u)) / temperature;
  }
  return normalised_sigmoid(logits);
}

torch::Tensor normalised_sigmoid(const torch::Tensor& logits) {
  const auto p = torch::sigmoid(logits);
  return p / (p.sum(-1, /*keepdim=*/true) + kRoutingEps);
}

torch::Tensor RouterImpl::route(const torch::Tensor& task_ids, bool relaxed,
                                double temperature) const {
  return route_rows(module_logits.index_select(0, task_ids), relaxed, temperature);
}

torch::Tensor RouterImpl::eval_weights() const {
  return route_rows(module_logits, /*relaxed=*/false, 1.0);
}

RoutingMatrix to_routing_matrix(const RouterImpl& router, const std::string& name) {
  torch::NoGradGuard no_grad;
  auto weights = router.eval_weights();  // [T, Q, S]
  RoutingMatrix matrix;
  matrix.layer = name;
  matrix.kind = router.kind();
  if (router.kind() == RoutingKind::kSkills) {
    TORCH_CHECK(router.n_blocks() == 1, "to_routing_matrix: kind 'skills' with ", router.n_blocks(),
                " blocks");
    weights = weights.squeeze(1);
  } else {
    weights = weights.permute({1, 0, 2});
  }
  weights = weights.to(torch::kCPU, torch::kFloat).contiguous();
  matrix.shape.assign(weights.sizes().begin(), weights.sizes().end());
  matrix.values.assign(weights.data_ptr<float>(), weights.data_ptr<float>() + weights.numel());
  return matrix;
}

}  // namespace tensorpoly::adapters
