// The task router of adapters.md §1.1: per-task logits [T, Q·S] (split-major)
// turned into routing weights [N, Q, S], normalised over skills within each split.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "tensorpoly/routing.h"

namespace tensorpoly::adapters {

inline constexpr double kRoutingEps = 1e-12;

class RouterImpl : public torch::nn::Module {
 public:
  // scope: "" for a router private to one layer (the adapter then registers
  // module_logits as its own parameter), otherwise the shared scope's name
  // ("encoder.block.0", "model"); kind says how collect_routing() reports it.
  RouterImpl(int64_t n_tasks, int64_t n_blocks, int64_t n_skills, RoutingKind kind,
             std::string scope = "");

  // Weights [N, Q, S] for logits rows [N, Q·S]. With `relaxed`, a relaxed
  // Bernoulli sample at `temperature` (fresh noise per row) replaces the sigmoid.
  torch::Tensor route_rows(const torch::Tensor& logits_rows, bool relaxed,
                           double temperature) const;
  // Weights [N, Q, S] of the given task ids.
  torch::Tensor route(const torch::Tensor& task_ids, bool relaxed, double temperature) const;
  // Eval-mode weights of every task, [T, Q, S].
  torch::Tensor eval_weights() const;

  int64_t n_tasks() const { return module_logits.size(0); }
  int64_t n_blocks() const { return n_blocks_; }
  int64_t n_skills() const { return n_skills_; }
  RoutingKind kind() const { return kind_; }
  const std::string& scope() const { return scope_; }
  bool shared() const { return !scope_.empty(); }

  torch::Tensor module_logits;  // [T, Q·S], initialised U(−1e-3, 1e-3)

 private:
  int64_t n_blocks_;
  int64_t n_skills_;
  RoutingKind kind_;
  std::string scope_;
};

// Eval routing of logits [..., Q, S]: sigmoid, normalised over the skills (last axis)
// with the 1e-12 of adapters.md §1.1.
torch::Tensor normalised_sigmoid(const torch::Tensor& logits);

// The weights of `router` as a torch-free matrix: kSkills [T, S], kSplits and
// kOrders [Q, T, S].
RoutingMatrix to_routing_matrix(const RouterImpl& router, const std::string& name);

}  // namespace tensorpoly::adapters
