// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/adapter.h"

#include <cmath>
#include <vector>

#include "adapters/phase_profile.h"
#include "adapters/precision.h"
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
  return run(x, context_ ? context_->grouping(weight.device()) : nullptr, Formulation::kOptimised);
}

namespace {

std::shared_ptr<const TaskGrouping> grouping_of(const torch::Tensor& task_ids,
                                                const torch::Device& device) {
  return task_ids.defined() ? make_task_grouping(task_ids, device) : nullptr;
}

}  // namespace

torch::Tensor AdapterImpl::forward(const torch::Tensor& x, const torch::Tensor& task_ids) {
  return run(x, grouping_of(task_ids, weight.device()), Formulation::kOptimised);
}

torch::Tensor AdapterImpl::forward_naive(const torch::Tensor& x, const torch::Tensor& task_ids) {
  return run(x, grouping_of(task_ids, weight.device()), Formulation::kNaive);
}

torch::Tensor AdapterImpl::forward_per_example(const torch::Tensor& x,
                                               const torch::Tensor& task_ids) {
  return run(x, grouping_of(task_ids, weight.device()), Formulation::kPerExample);
}

torch::Tensor AdapterImpl::run(const torch::Tensor& x,
                               const std::shared_ptr<const TaskGrouping>& tasks,
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
      update = low_rank_update(rows, tasks.get());
      break;
    case Formulation::kPerExample:
      update = low_rank_update_per_example(rows, tasks.get());
      break;
    case Formulation::kNaive:
      update = low_rank_update_naive(rows, tasks.get());
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
                                                const TaskGrouping* /*tasks*/) {
  std::pair<torch::Tensor, torch::Tensor> factors;  // [in, r], [r, out]
  {
    const Float32Scope float32;
    factors = dense_factors();
  }
  return x.matmul(factors.first).div(config_.rank).matmul(factors.second);
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

const TaskGrouping& RoutedAdapterImpl::checked(const TaskGrouping* tasks,
                                               const torch::Tensor& x) const {
  TORCH_CHECK(tasks != nullptr,
              "adapter: no task ids (set TaskContext::task_ids before the forward)");
  TORCH_CHECK(tasks->min_id >= 0 && tasks->max_id < config_.n_tasks,
              "adapter: task ids must lie in [0, ", config_.n_tasks, "), got [", tasks->min_id,
              ", ", tasks->max_id, "]");
  TORCH_CHECK(x.size(0) % tasks->batch == 0, "adapter: batch of ", x.size(0),
              " rows is not a multiple of the ", tasks->batch, " task ids");
  return *tasks;
}

torch::Tensor RoutedAdapterImpl::task_ids_for(const torch::Tensor& x,
                                              const TaskGrouping& tasks) const {
  torch::Tensor ids = tasks.task_ids.to(router_->module_logits.device());
  const int64_t repeat = x.size(0) / tasks.batch;
  // Each id repeated consecutively (beam search), without repeat_interleave's size read.
  if (repeat != 1) ids = ids.unsqueeze(1).expand({tasks.batch, repeat}).reshape({-1});
  return ids;
}

std::pair<torch::Tensor, torch::Tensor> RoutedAdapterImpl::factors(const torch::Tensor& ids,
                                                                   bool relaxed,
                                                                   double temperature) {
  const Float32Scope float32;
  return task_factors(router_->route(ids, relaxed, temperature));
}

std::pair<torch::Tensor, torch::Tensor> RoutedAdapterImpl::routed_factors(
    const TaskGrouping& tasks) {
  torch::Tensor weights;
  {
    const PhaseScope phase(Phase::kRoutingMix);
    weights = router_->route(tasks.unique_ids.to(router_->module_logits.device()), false, 1.0);
  }
  return task_factors(weights);  // [U, in, r], [U, r, out]
}

torch::Tensor RoutedAdapterImpl::low_rank_update(const torch::Tensor& x,
                                                 const TaskGrouping* grouping) {
  const TaskGrouping& tasks = checked(grouping, x);
  // Relaxed Bernoulli noise is drawn per example: one routing per row; so is a batch with
  // more rows than task ids.
  if (sampling() || x.size(0) != tasks.batch) return low_rank_update_per_example(x, grouping);
  // Route and build once per distinct task, then mix after gathering per example.
  std::pair<torch::Tensor, torch::Tensor> factors;  // [U, in, r], [U, r, out]
  {
    const Float32Scope float32;
    factors = routed_factors(tasks);
  }
  return mixed_update(x, factors.first, factors.second, tasks);
}

torch::Tensor RoutedAdapterImpl::mixed_update(const torch::Tensor& x, const torch::Tensor& a,
                                              const torch::Tensor& b,
                                              const TaskGrouping& tasks) const {
  const auto n_unique = static_cast<int64_t>(tasks.counts.size());
  if (n_unique == 1) return x.matmul(a[0]).div(config_.rank).matmul(b[0]);
  // Every example its own task, or fewer tasks than examples with few rows each: batched
  // products with per-example matrices. With many rows per task, one tall product per
  // task (small-rank batched products are far less efficient than one tall matrix
  // product on CPU BLAS); with few, the per-task loop's operator overhead dominates
  // (t5-mini, 32 examples of ~30 tokens over ~15 tasks: a training step ~28% faster).
  if (n_unique == x.size(0) || x.size(0) * x.size(1) < min_rows_per_task_group() * n_unique) {
    const auto inverse = tasks.inverse.to(x.device());
    const auto h = torch::bmm(x, a.index_select(0, inverse)).div(config_.rank);
    return torch::bmm(h, b.index_select(0, inverse));
  }
  const bool already_grouped = !tasks.order.defined();
  const auto grouped_x = already_grouped ? x : x.index_select(0, tasks.order);
  // unbind, not a[task]: the backward is one stack, not a full-size zero tensor per task.
  const auto a_tasks = a.unbind(0), b_tasks = b.unbind(0);
  std::vector<torch::Tensor> groups;
  groups.reserve(static_cast<size_t>(n_unique));
  int64_t start = 0;
  for (int64_t task = 0; task < n_unique; ++task) {
    const auto index = static_cast<size_t>(task);
    const int64_t count = tasks.counts[index];
    groups.push_back(grouped_x.narrow(0, start, count)
                         .matmul(a_tasks[index])
                         .div(config_.rank)
                         .matmul(b_tasks[index]));
    start += count;
  }
  const auto grouped_update = torch::cat(groups, 0);
  return already_grouped ? grouped_update : grouped_update.index_select(0, tasks.restore);
}

torch::Tensor RoutedAdapterImpl::low_rank_update_per_example(const torch::Tensor& x,
                                                             const TaskGrouping* grouping) {
  const auto ids = task_ids_for(x, checked(grouping, x));
  const auto [a, b] = factors(ids, sampling(), config_.temperature);  // [B, in, r], [B, r, out]
  return torch::bmm(torch::bmm(x, a).div(config_.rank), b);
}

torch::Tensor RoutedAdapterImpl::low_rank_update_naive(const torch::Tensor& x,
                                                       const TaskGrouping* grouping) {
  const auto ids = task_ids_for(x, checked(grouping, x));
  // unbind (not x[example]) so that the backward is one stack, not a full-size
  // zero tensor per example.
  const auto examples = x.unbind(0);
  std::vector<torch::Tensor> rows;
  rows.reserve(examples.size());
  for (int64_t example = 0; example < x.size(0); ++example) {
    const auto [a, b] = factors(ids.narrow(0, example, 1), sampling(), config_.temperature);
    rows.push_back(
        examples[static_cast<size_t>(example)].matmul(a[0]).div(config_.rank).matmul(b[0]));
  }
  return torch::stack(rows);
}

}  // namespace tensorpoly::adapters
