// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/task_context.h"

namespace tensorpoly::adapters {

const TaskRouting& TaskContext::routing(const torch::Tensor& ids) {
  TORCH_CHECK(ids.defined(), "adapter: no task ids (set TaskContext::task_ids before the forward)");
  if (routing_.source.defined() && routing_.source.is_same(ids) &&
      routing_.source_version == static_cast<int64_t>(ids._version())) {
    return routing_;
  }
  TORCH_CHECK(ids.dim() == 1 && ids.numel() >= 1,
              "adapter: task_ids must be a non-empty vector [B], got shape ", ids.sizes());
  TORCH_CHECK(!ids.is_floating_point() && !ids.is_complex(),
              "adapter: task_ids must be integers, got ", ids.scalar_type());
  TaskRouting routing;
  routing.ids = ids.to(torch::kLong);
  std::tie(routing.unique_ids, routing.inverse) =
      torch::_unique(routing.ids, /*sorted=*/true, /*return_inverse=*/true);
  const auto sorted = routing.unique_ids.to(torch::kCPU).contiguous();
  routing.min_id = sorted.data_ptr<int64_t>()[0];
  routing.max_id = sorted.data_ptr<int64_t>()[sorted.numel() - 1];
  routing.source = ids;
  routing.source_version = static_cast<int64_t>(ids._version());
  routing_ = std::move(routing);
  return routing_;
}

ForwardScope::ForwardScope(TaskContext* context) : context_(context) {
  if (context_ == nullptr) return;
  if (context_->forward_depth++ == 0) ++context_->forward_id;
}

ForwardScope::~ForwardScope() {
  if (context_ != nullptr) --context_->forward_depth;
}

}  // namespace tensorpoly::adapters
