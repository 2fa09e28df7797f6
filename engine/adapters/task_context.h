// What every adapter of a model shares during a forward pass: the task ids of the batch,
// their grouping by task (worked out once per batch on the host), and which forward pass
// is running.
//
// Why on the host, once: routed adapters mix their factors once per distinct task of the
// batch, so they need the distinct tasks and how many rows each has. Reading that from a
// device tensor inside every adapted layer (unique, counts, .item()) would stop the host
// until the device caught up, several times per layer and step. The model computes the
// grouping when its task ids are set (T5Model::set_task_ids, before the forward), from
// the ids on the host, and moves the index tensors to the device without waiting; the
// adapters' forward then only reads host integers and launches device work.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace tensorpoly::adapters {

// A batch's task ids grouped by task: the one routing every adapted layer of a forward
// pass uses (the factor bank keys its routing mixes on task_ids and its version).
struct TaskGrouping {
  int64_t batch = 0;            // rows, one task id each
  torch::Tensor task_ids;       // [B] int64, on the device
  torch::Tensor unique_ids;     // [U] the distinct tasks, ascending, on the device
  torch::Tensor inverse;        // [B] each row's position in unique_ids, on the device
  torch::Tensor order;          // [B] rows sorted by task (stable); undefined when already so
  torch::Tensor restore;        // [B] the inverse permutation of order; undefined with it
  std::vector<int64_t> counts;  // [U] rows per distinct task (host)
  int64_t min_id = 0;           // host copies, for the range check against n_tasks
  int64_t max_id = 0;
  torch::Device device = torch::kCPU;
};

// The grouping of `task_ids` (a non-empty integer vector, any device), computed on the
// host (one copy when the ids live on a device), its tensors put on `device` (from pinned
// memory, without waiting, on CUDA). Throws c10::Error for ids that are not such a vector.
std::shared_ptr<const TaskGrouping> make_task_grouping(const torch::Tensor& task_ids,
                                                       const torch::Device& device);

// The model sets task_ids ([B], integer, values in [0, n_tasks)) before each forward,
// through set() so that the grouping is ready; routed adapters read grouping() in
// forward(x). One context is held by shared_ptr by every adapter of the model.
struct TaskContext {
  torch::Tensor task_ids;

  // Counts forward passes: ForwardScope's outermost instance starts a new one. Caches that
  // hold an autograd graph (factor_bank.h) are valid only within the pass that built them.
  uint64_t forward_id = 0;
  int forward_depth = 0;

  // Sets task_ids and works out their grouping on `device` now.
  void set(const torch::Tensor& ids, const torch::Device& device);
  // The grouping of task_ids on `device`; null when task_ids is undefined. Computed here
  // (reading the ids on the host) only when task_ids was assigned or changed since set().
  std::shared_ptr<const TaskGrouping> grouping(const torch::Device& device);

 private:
  std::shared_ptr<const TaskGrouping> grouping_;
  torch::Tensor source_;  // the task_ids grouping_ describes
  int64_t source_version_ = -1;
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
