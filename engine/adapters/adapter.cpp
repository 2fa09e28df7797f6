// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/adapter.h"

#include <cmath>
#include <vector>

#include "adapters/phase_profile.h"
#include "adapters/tensor_product.h"

namespace tensorpoly::adapters {

AdapterImpl::AdapterImpl(const AdapterConfig& config, const LinearProjectionImpl& base,
                         std::shared_ptr<TaskContext> context)
    : config_(config), context_(context ? std::move(context) : std::make_shared<TaskContext>()) {
  validate(config_, base.in_features(), base.out_features());
  TORCH_CHECK(config_.method != "none", "adapter: method 'none' has no adapter module");
  weight = register_parameter("weight", base.weight, /*requires_grad=*/false);
  if (base.bias.defined()) bias = register_parameter("bias", base.bias, /*requires_grad=*/false);
}

void AdapterImpl::set_task_context(std::shared_ptr<TaskContext> context) {
  TORCH_CHECK(context != nullptr, config_.method, " adapter: the task context must not be null");
  context_ = std::move(context);
}

torch::Tensor AdapterImpl::forward(const torch::Tensor& x) {
  return run(x, context_->task_ids, Formulation::kOptimised);
}

torch::Tensor AdapterImpl::forward(const torch::Tensor& x, const torch::Tensor& task_ids) {
  return run(x, task_ids, Formulation::kOptimised);
}

torch::Tensor AdapterImpl::forward_naive(const torch::Tensor& x, const torch::Tensor& task_ids) {
  return run(x, task_ids, Formulation::kNaive);
}

torch::Tensor AdapterImpl::forward_per_example(const torch::Tensor& x,
                                               const torch::Tensor& task_ids) {
  return run(x, task_ids, Formulation::kPerExample);
}

torch::Tensor AdapterImpl::run(const torch::Tensor& x, const torch::Tensor& task_ids,
                               Formulation formulation) {
  TORCH_CHECK(x.dim() >= 2 && x.size(-1) == in_features(), config_.method,
              " adapter: input must be [B, ..., ", in_features(), "], got ", x.sizes());
  // Called alone (not inside a model's forward), each call is a forward pass of its own.
  const ForwardScope forward_pass(context_.get());
  const auto base = torch::nn::functional::linear(x, weight, bias);
  const PhaseScope phase(Phase::kAdapterProducts);
  const auto rows = x.reshape({x.size(0), -1, in_features()});  // [B, L, in]
  torch::Tensor update;
  switch (formulation) {
    case Formulation::kOptimised:
      update = low_rank_update(rows, task_ids);
      break;
    case Formulation::kPerExample:
      update = low_rank_update_per_example(rows, task_ids);
      break;
    case Formulation::kNaive:
      update = low_rank_update_naive(rows, task_ids);
      break;
  }
  return base + update.view(base.sizes());
}

torch::Tensor AdapterImpl::kaiming_uniform(torch::IntArrayRef shape) const {
  const double bound = std::sqrt(1.0 / 3.0) / std::sqrt(static_cast<double>(in_features()));
  return torch::empty(shape, weight.options().requires_grad(false)).uniform_(-bound, bound);
}

void AdapterImpl::register_pair_norm(const std::string& name, torch::nn::LayerNorm& member,
                                     int64_t leaf) {
  member = register_module(name, make_pair_norm(config_.rank, leaf));
  member->to(weight.device(), weight.scalar_type());
  for (auto& parameter : member->parameters()) {
    parameter.set_requires_grad(config_.train_layer_norms);
  }
}

torch::Tensor DenseAdapterImpl::low_rank_update(const torch::Tensor& x,
                                                const torch::Tensor& /*task_ids*/) {
  const auto [a, b] = dense_factors();  // [in, r], [r, out]
  return x.matmul(a).div(config_.rank).matmul(b);
}

RoutedAdapterImpl::RoutedAdapterImpl(const AdapterConfig& config, const LinearProjectionImpl& base,
                                     std::shared_ptr<TaskContext> context, int64_t n_blocks,
                                     RoutingKind kind, std::shared_ptr<RouterImpl> router)
    : AdapterImpl(config, base, std::move(context)), router_(std::move(router)) {
  if (router_) {
    TORCH_CHECK(router_->n_tasks() == config_.n_tasks && router_->n_blocks() == n_blocks &&
                    router_->n_skills() == config_.n_skills && router_->kind() == kind,
                config_.method, " adapter: shared router '", router_->scope(), "' has shape [",
                router_->n_tasks(), ", ", router_->n_blocks(), "·", router_->n_skills(),
                "], the layer needs [", config_.n_tasks, ", ", n_blocks, "·", config_.n_skills,
                "]");
  } else {
    router_ = std::make_shared<RouterImpl>(config_.n_tasks, n_blocks, config_.n_skills, kind);
    router_->to(weight.device(), weight.scalar_type());
    register_parameter("module_logits", router_->module_logits);
  }
}

torch::Tensor RoutedAdapterImpl::task_ids_for(const torch::Tensor& x,
                                              const torch::Tensor& task_ids) const {
  return expand_task_ids(task_ids, x.size(0), config_.n_tasks).to(router_->module_logits.device());
}

const TaskRouting& RoutedAdapterImpl::checked_routing(const torch::Tensor& task_ids) {
  const TaskRouting& routing = task_context()->routing(task_ids);
  TORCH_CHECK(routing.min_id >= 0 && routing.max_id < config_.n_tasks,
              "adapter: task ids must lie in [0, ", config_.n_tasks, "), got [", routing.min_id,
              ", ", routing.max_id, "]");
  return routing;
}

std::pair<torch::Tensor, torch::Tensor> RoutedAdapterImpl::routed_factors(
    const TaskRouting& routing) {
  torch::Tensor weights;
  {
    const PhaseScope phase(Phase::kRoutingMix);
    weights = router_->route(routing.unique_ids.to(router_->module_logits.device()), false, 1.0);
  }
  return task_factors(weights);  // [U, in, r], [U, r, out]
}

torch::Tensor RoutedAdapterImpl::low_rank_update(const torch::Tensor& x,
                                                 const torch::Tensor& task_ids) {
  // Relaxed Bernoulli noise is drawn per example: one routing per row.
  if (sampling()) return low_rank_update_per_example(x, task_ids);
  // Route and build once per distinct task, then mix after gathering per example.
  const TaskRouting& routing = checked_routing(task_ids);
  const int64_t n_ids = routing.ids.size(0);
  TORCH_CHECK(x.size(0) % n_ids == 0, "adapter: batch of ", x.size(0),
              " rows is not a multiple of the ", n_ids, " task ids");
  // Beam search: each task id repeated for the k rows of its example.
  const auto inverse =
      x.size(0) == n_ids ? routing.inverse : routing.inverse.repeat_interleave(x.size(0) / n_ids);
  const auto [a, b] = routed_factors(routing);  // [U, in, r], [U, r, out]
  return mixed_update(x, a, b, inverse.to(x.device()));
}

torch::Tensor RoutedAdapterImpl::mixed_update(const torch::Tensor& x, const torch::Tensor& a,
                                              const torch::Tensor& b,
                                              const torch::Tensor& inverse) const {
  const int64_t n_unique = a.size(0);
  if (n_unique == 1) return x.matmul(a[0]).div(config_.rank).matmul(b[0]);
  // Fewer tasks than examples. With many rows per task, one tall product per task
  // (small-rank batched products are far less efficient than one tall matrix product on
  // CPU BLAS); with few, the per-task loop's operator overhead dominates and gathering
  // per-example matrices for two batched products is faster (t5-mini, 32 examples of
  // ~30 tokens over ~15 tasks: a training step ~28% faster). Every example its own task
  // is the same gathering.
  if (n_unique == x.size(0) || x.size(0) * x.size(1) < min_rows_per_task_group() * n_unique) {
    const auto h = torch::bmm(x, a.index_select(0, inverse)).div(config_.rank);
    return torch::bmm(h, b.index_select(0, inverse));
  }
  const auto [sorted_inverse, order] = inverse.sort();
  const auto counts = torch::bincount(inverse, {}, n_unique).to(torch::kCPU);
  const bool already_grouped = torch::equal(sorted_inverse, inverse);
  const auto grouped_x = already_grouped ? x : x.index_select(0, order);
  // unbind, not a[task]: the backward is one stack, not a full-size zero tensor per task.
  const auto a_tasks = a.unbind(0), b_tasks = b.unbind(0);
  std::vector<torch::Tensor> groups;
  groups.reserve(static_cast<size_t>(n_unique));
  int64_t start = 0;
  for (int64_t task = 0; task < n_unique; ++task) {
    const int64_t count = counts[task].item<int64_t>();
    const auto index = static_cast<size_t>(task);
    groups.push_back(grouped_x.narrow(0, start, count)
                         .matmul(a_tasks[index])
                         .div(config_.rank)
                         .matmul(b_tasks[index]));
    start += count;
  }
  const auto grouped_update = torch::cat(groups, 0);
  return already_grouped ? grouped_update : grouped_update.index_select(0, order.argsort());
}

torch::Tensor RoutedAdapterImpl::low_rank_update_per_example(const torch::Tensor& x,
                                                             const torch::Tensor& task_ids) {
  const auto ids = task_ids_for(x, task_ids);
  const auto [a, b] = task_factors(
      router_->route(ids, sampling(), config_.temperature));  // [B, in, r], [B, r, out]
  return torch::bmm(torch::bmm(x, a).div(config_.rank), b);
}

torch::Tensor RoutedAdapterImpl::low_rank_update_naive(const torch::Tensor& x,
                                                       const torch::Tensor& task_ids) {
  const auto ids = task_ids_for(x, task_ids);
  // unbind (not x[example]) so that the backward is one stack, not a full-size
  // zero tensor per example.
  const auto examples = x.unbind(0);
  std::vector<torch::Tensor> rows;
  rows.reserve(examples.size());
  for (int64_t example = 0; example < x.size(0); ++example) {
    const auto weights = router_->route(ids.narrow(0, example, 1), sampling(), config_.temperature);
    const auto [a, b] = task_factors(weights);
    rows.push_back(
        examples[static_cast<size_t>(example)].matmul(a[0]).div(config_.rank).matmul(b[0]));
  }
  return torch::stack(rows);
}

}  // namespace tensorpoly::adapters
