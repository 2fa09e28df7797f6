// Builds the tensor-product factors of many layers at once. The A and B sides of every
// member layer are sorted into stacks of the same shapes (order, skills, rank, leaf size,
// width, tasks, router blocks): in t5-tiny every q, k, v, o and the feed-forward's narrow
// sides form one stack, the feed-forward's wide sides another. Per forward pass each stack
// is built with one outer product, one LayerNorm and one truncation over the stacked
// leaves, and mixed for the batch's distinct tasks with one batched routing and product;
// the backward is the same few operators. The results equal building each layer alone.
//
// Caching. What a stack built is kept while the tensors it was built from are unchanged
// (same storage, same version counter: an optimiser step or a checkpoint load invalidates
// it) and the task ids are the same tensor. A result that carries an autograd graph is
// used only within the forward pass that built it (TaskContext::forward_id), and a result
// without one only when none is needed (gradient mode off, or no input requires a
// gradient). So training builds once per step, while evaluation and greedy decoding build
// once for as long as the weights stay fixed, and router-only adaptation builds the factors
// once and only re-mixes them.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "adapters/task_context.h"
#include "adapters/tensor_product_adapter.h"

namespace tensorpoly::adapters {

class FactorBank {
 public:
  FactorBank();
  ~FactorBank();
  FactorBank(const FactorBank&) = delete;
  FactorBank& operator=(const FactorBank&) = delete;

  void add(TensorProductAdapterImpl* member);
  void remove(TensorProductAdapterImpl* member);
  size_t size() const { return members_.size(); }
  // Stacks the members form (after the first request).
  size_t stack_count() const;

  // A [U, in, r] and B [U, r, out] of `member` for the distinct tasks of `tasks`,
  // during the forward pass `context` is in.
  std::pair<torch::Tensor, torch::Tensor> routed_factors(const TensorProductAdapterImpl& member,
                                                         const TaskContext& context,
                                                         const TaskGrouping& tasks);

  // How often the stacks were built since the bank was made (for tests): factor
  // constructions and routing mixes.
  int64_t factor_builds() const { return factor_builds_; }
  int64_t mix_builds() const { return mix_builds_; }

 private:
  struct Stack;
  void organise();
  void drop_stale(const TaskContext& context);
  const std::vector<torch::Tensor>& mixed(Stack& stack, const TaskContext& context,
                                          const TaskGrouping& tasks);
  void build_factors(Stack& stack, const TaskContext& context);

  std::vector<TensorProductAdapterImpl*> members_;
  std::vector<std::unique_ptr<Stack>> stacks_;
  // (stack, position) of each member's A and B side.
  std::map<const TensorProductAdapterImpl*,
           std::pair<std::pair<size_t, size_t>, std::pair<size_t, size_t>>>
      slots_;
  bool organised_ = false;
  const TaskContext* checked_context_ = nullptr;
  uint64_t checked_forward_ = 0;
  int64_t factor_builds_ = 0;
  int64_t mix_builds_ = 0;
};

}  // namespace tensorpoly::adapters
