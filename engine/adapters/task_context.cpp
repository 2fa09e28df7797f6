// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/task_context.h"

#include <algorithm>
#include <map>
#include <numeric>

namespace tensorpoly::adapters {
namespace {

// A host int64 vector as a tensor on `device`, copied without waiting on CUDA.
torch::Tensor to_device(const std::vector<int64_t>& values, const torch::Device& device) {
  torch::Tensor host = torch::tensor(values, torch::kLong);
  if (!device.is_cuda()) return host.to(device);
  return host.pin_memory().to(device, /*non_blocking=*/true);
}

}  // namespace

std::shared_ptr<const TaskGrouping> make_task_grouping(const torch::Tensor& task_ids,
                                                       const torch::Device& device) {
  TORCH_CHECK(task_ids.defined(),
              "adapter: no task ids (set TaskContext::task_ids before the forward)");
  TORCH_CHECK(task_ids.dim() == 1 && task_ids.numel() >= 1,
              "adapter: task_ids must be a non-empty vector [B], got shape ", task_ids.sizes());
  TORCH_CHECK(!task_ids.is_floating_point() && !task_ids.is_complex(),
              "adapter: task_ids must be integers, got ", task_ids.scalar_type());
  const torch::Tensor host = task_ids.to(torch::kCPU, torch::kLong).contiguous();
  const int64_t* ids = host.data_ptr<int64_t>();
  const int64_t batch = host.numel();

  auto grouping = std::make_shared<TaskGrouping>();
  grouping->batch = batch;
  grouping->device = device;
  std::map<int64_t, int64_t> rows_per_task;
  for (int64_t row = 0; row < batch; ++row) ++rows_per_task[ids[row]];
  std::map<int64_t, int64_t> position;
  std::vector<int64_t> unique_ids;
  for (const auto& [task, rows] : rows_per_task) {
    position[task] = static_cast<int64_t>(unique_ids.size());
    unique_ids.push_back(task);
    grouping->counts.push_back(rows);
  }
  grouping->min_id = unique_ids.front();
  grouping->max_id = unique_ids.back();
  std::vector<int64_t> inverse(static_cast<size_t>(batch));
  for (int64_t row = 0; row < batch; ++row) inverse[row] = position[ids[row]];
  std::vector<int64_t> order(static_cast<size_t>(batch));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return inverse[a] < inverse[b]; });
  const bool grouped = std::is_sorted(inverse.begin(), inverse.end());

  if (task_ids.device() == device) {
    grouping->task_ids = task_ids.to(torch::kLong);
  } else {
    grouping->task_ids =
        device.is_cuda() ? host.pin_memory().to(device, /*non_blocking=*/true) : host.to(device);
  }
  grouping->unique_ids = to_device(unique_ids, device);
  grouping->inverse = to_device(inverse, device);
  if (!grouped) {
    std::vector<int64_t> restore(static_cast<size_t>(batch));
    for (int64_t i = 0; i < batch; ++i) restore[order[i]] = i;
    grouping->order = to_device(order, device);
    grouping->restore = to_device(restore, device);
  }
  return grouping;
}

void TaskContext::set(const torch::Tensor& ids, const torch::Device& device) {
  if (!ids.defined()) {
    task_ids = torch::Tensor();
    grouping_.reset();
    return;
  }
  grouping_ = make_task_grouping(ids, device);
  task_ids = grouping_->task_ids;
  source_ = task_ids;
  source_version_ = task_ids._version();
}

std::shared_ptr<const TaskGrouping> TaskContext::grouping(const torch::Device& device) {
  if (!task_ids.defined()) return nullptr;
  const bool current = grouping_ && task_ids.is_same(source_) &&
                       task_ids._version() == source_version_ && grouping_->device == device;
  if (!current) {
    grouping_ = make_task_grouping(task_ids, device);
    source_ = task_ids;
    source_version_ = task_ids._version();
  }
  return grouping_;
}

ForwardScope::ForwardScope(TaskContext* context) : context_(context) {
  if (context_ == nullptr) return;
  if (context_->forward_depth++ == 0) ++context_->forward_id;
}

ForwardScope::~ForwardScope() {
  if (context_ != nullptr) --context_->forward_depth;
}

}  // namespace tensorpoly::adapters
