// The common frame of every adapter method (adapters.md §1): a frozen linear layer
// y = x Wᵀ + bias plus a low-rank update (x · A_b · B_b) / r.
//
//   AdapterImpl          base weight/bias, task context, forward(x) / forward(x, task_ids)
//   ├─ DenseAdapterImpl  one A, B for every example           (lora, tlora)
//   └─ RoutedAdapterImpl A_b, B_b mixed per task by a router  (poly, mhr, tensorpoly-1/-2)
//
// Methods are built by make_adapter() (factory.h) and put into a model by
// inject_adapters() (inject.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

#include <memory>
#include <utility>

#include "adapters/projection.h"
#include "adapters/router.h"
#include "adapters/task_context.h"
#include "tensorpoly/adapter_config.h"

namespace tensorpoly::adapters {

class AdapterImpl : public ProjectionImpl {
 public:
  // Reads the task ids, grouped, from the shared TaskContext (dense methods ignore them).
  // Reads no tensor value back to the host: the grouping was worked out when the ids
  // were set (task_context.h).
  torch::Tensor forward(const torch::Tensor& x) override;
  // x: [B, ..., in], task_ids: [B'] with B a multiple of B' (repeat_interleave).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& task_ids);
  // The same function computed the straightforward way: routed methods build
  // their per-example [in, r] and [r, out] matrices from the parameters one
  // example at a time. Reference for tests and the benchmark.
  torch::Tensor forward_naive(const torch::Tensor& x, const torch::Tensor& task_ids);
  // The same function between the two: routed methods build their parameter-only
  // factors once (TensorPoly-I's S tensor products; Poly has none), then mix the
  // [in, r] and [r, out] matrices of every example and apply them with batched
  // products, without grouping the examples by task. Lets the benchmark separate
  // the saving of building once per step from that of mixing once per task.
  torch::Tensor forward_per_example(const torch::Tensor& x, const torch::Tensor& task_ids);

  int64_t in_features() const override { return weight.size(1); }
  int64_t out_features() const override { return weight.size(0); }
  const AdapterConfig& config() const { return config_; }
  // Never null: an adapter built without one gets a context of its own.
  const std::shared_ptr<TaskContext>& task_context() const { return context_; }
  void set_task_context(std::shared_ptr<TaskContext> context);
  // The router (null for dense methods).
  virtual std::shared_ptr<RouterImpl> router() const { return nullptr; }
  // The optimised forward of a routed method groups a batch by task when its distinct
  // tasks have at least this many rows (tokens) each on average, and mixes per example
  // otherwise; both give the same result (tests pin each path with 0 and a huge value).
  static constexpr int64_t kDefaultMinRowsPerTaskGroup = 256;
  void set_min_rows_per_task_group(int64_t rows) { min_rows_per_task_group_ = rows; }
  int64_t min_rows_per_task_group() const { return min_rows_per_task_group_; }

  // Frozen base layer: the tensors of the wrapped projection (shared, not copied).
  torch::Tensor weight;  // [out, in]
  torch::Tensor bias;    // [out], undefined when the layer has none

 protected:
  AdapterImpl(const AdapterConfig& config, const LinearProjectionImpl& base,
              std::shared_ptr<TaskContext> context);
  // (x A_b B_b) / r for x [B, L, in] (three dimensions, batch first); `tasks` is null
  // when no task ids are set (dense methods need none).
  virtual torch::Tensor low_rank_update(const torch::Tensor& x, const TaskGrouping* tasks) = 0;
  virtual torch::Tensor low_rank_update_naive(const torch::Tensor& x, const TaskGrouping* tasks) {
    return low_rank_update(x, tasks);
  }
  virtual torch::Tensor low_rank_update_per_example(const torch::Tensor& x,
                                                    const TaskGrouping* tasks) {
    return low_rank_update(x, tasks);
  }
  // Initial value U(−std, std), std = gain/√in, gain = calculate_gain("leaky_relu", √5) = √(1/3).
  torch::Tensor kaiming_uniform(torch::IntArrayRef shape) const;
  // requires_grad of LayerNorm affines follows config().train_layer_norms.
  void register_pair_norm(const std::string& name, torch::nn::LayerNorm& member, int64_t leaf);

  AdapterConfig config_;

 private:
  enum class Formulation { kOptimised, kPerExample, kNaive };
  torch::Tensor run(const torch::Tensor& x, const std::shared_ptr<const TaskGrouping>& tasks,
                    Formulation formulation);

  std::shared_ptr<TaskContext> context_;
  int64_t min_rows_per_task_group_ = kDefaultMinRowsPerTaskGroup;
};

// lora, tlora: one A [in, r] and B [r, out] for all examples.
class DenseAdapterImpl : public AdapterImpl {
 protected:
  using AdapterImpl::AdapterImpl;
  // Built in float32 (Float32Scope) under autocast.
  virtual std::pair<torch::Tensor, torch::Tensor> dense_factors() = 0;
  torch::Tensor low_rank_update(const torch::Tensor& x, const TaskGrouping* tasks) override;
};

// poly, mhr, tensorpoly-1, tensorpoly-2: A_b, B_b mixed from the routing weights of
// the example's task. The optimised path routes and builds once per distinct task
// of the batch (once per example only with relaxed-Bernoulli sampling, whose noise
// is drawn per example: then it is the per-example path).
class RoutedAdapterImpl : public AdapterImpl {
 public:
  std::shared_ptr<RouterImpl> router() const override { return router_; }

 protected:
  // router: a shared router (block / model granularity), or null for a private one,
  // whose logits the adapter registers as its own parameter "module_logits".
  RoutedAdapterImpl(const AdapterConfig& config, const LinearProjectionImpl& base,
                    std::shared_ptr<TaskContext> context, int64_t n_blocks, RoutingKind kind,
                    std::shared_ptr<RouterImpl> router);
  // weights [N, Q, S] -> A [N, in, r], B [N, r, out]: the one-layer formulation.
  virtual std::pair<torch::Tensor, torch::Tensor> task_factors(const torch::Tensor& weights) = 0;
  // A [U, in, r], B [U, r, out] for the grouping's distinct tasks (unique_ids). By default
  // routes them and calls task_factors(); tensor-product methods ask their factor bank.
  // Called in float32 (Float32Scope).
  virtual std::pair<torch::Tensor, torch::Tensor> routed_factors(const TaskGrouping& tasks);
  torch::Tensor low_rank_update(const torch::Tensor& x, const TaskGrouping* tasks) override;
  torch::Tensor low_rank_update_naive(const torch::Tensor& x, const TaskGrouping* tasks) override;
  // One routing per example, task_factors() once for the whole batch, batched products.
  torch::Tensor low_rank_update_per_example(const torch::Tensor& x,
                                            const TaskGrouping* tasks) override;

 private:
  bool sampling() const { return is_training() && config_.relaxed_bernoulli; }
  // The grouping, checked: defined, ids in [0, n_tasks), x's rows a multiple of its rows.
  const TaskGrouping& checked(const TaskGrouping* tasks, const torch::Tensor& x) const;
  // The task id of every row of x [rows], on the router's device.
  torch::Tensor task_ids_for(const torch::Tensor& x, const TaskGrouping& tasks) const;
  // Routing and task_factors() in float32 (Float32Scope), for ids [N].
  std::pair<torch::Tensor, torch::Tensor> factors(const torch::Tensor& ids, bool relaxed,
                                                  double temperature);
  // (x A_b B_b) / r for x with one row per task id of `tasks`, A [U, in, r] and B [U, r, out]
  // of its distinct tasks.
  torch::Tensor mixed_update(const torch::Tensor& x, const torch::Tensor& a, const torch::Tensor& b,
                             const TaskGrouping& tasks) const;

  std::shared_ptr<RouterImpl> router_;
};

}  // namespace tensorpoly::adapters
