// What every adapter of a model shares during a forward pass: the task ids of the batch,
// which forward pass is running, and the routing of the ids (sorted distinct tasks and
// each row's place among them), derived once for all layers instead of once per layer.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>

namespace tensorpoly::adapters {

// The distinct tasks of a batch of task ids.
struct TaskRouting {
  torch::Tensor ids;         // [B] int64, on the ids' device
  torch::Tensor unique_ids;  // [U], sorted
  torch::Tensor inverse;     // [B]: ids[i] == unique_ids[inverse[i]]
  int64_t min_id = 0;
  int64_t max_id = 0;
  // What it was derived from (kept alive, so that its identity cannot be reused).
  torch::Tensor source;
  int64_t source_version = -1;
};

// The model sets task_ids ([B], integer, values in [0, n_tasks)) before each
// forward; routed adapters read it in forward(x). One context is held by
// shared_ptr by every adapter of the model.
struct TaskContext {
  torch::Tensor task_ids;

  // Counts forward passes: ForwardScope's outermost instance starts a new one. Caches that
  // hold an autograd graph (factor_bank.h) are valid only within the pass that built them.
  uint64_t forward_id = 0;
  int forward_depth = 0;

  // The routing of `ids` (validated: a non-empty integer vector), cached while `ids` is
  // the same, unmodified tensor.
  const TaskRouting& routing(const torch::Tensor& ids);

 private:
  TaskRouting routing_;
};

// Marks a forward pass (a model's forward, encode, decode or greedy decoding; an adapter's
// forward when called on its own). Nested scopes belong to the outermost one.
class ForwardScope {
 public:
  explicit ForwardScope(TaskContext* context);
  ~ForwardScope();
  ForwardScope(const ForwardScope&) = delete;
  ForwardScope& operator=(const ForwardScope&) = delete;

 private:
  TaskContext* context_;
};

}  // namespace tensorpoly::adapters
