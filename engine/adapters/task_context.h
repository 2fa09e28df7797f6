// The task ids of the current batch, shared by every adapter of a model.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

#include <memory>

namespace tensorpoly::adapters {

// The model sets task_ids ([B], integer, values in [0, n_tasks)) before each
// forward; routed adapters read it in forward(x). One context is held by
// shared_ptr by every adapter of the model.
struct TaskContext {
  torch::Tensor task_ids;
};

}  // namespace tensorpoly::adapters
