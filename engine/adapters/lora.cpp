// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/lora.h"

namespace tensorpoly::adapters {

LoraImpl::LoraImpl(const AdapterConfig& config, const LinearProjectionImpl& base,
                   std::shared_ptr<TaskContext> context)
    : DenseAdapterImpl(config, base, std::move(context)) {
  const int64_t r = config_.rank;
  lora_a = register_parameter("lora_a", kaiming_uniform({r, in_features()}));
  lora_b = register_parameter("lora_b", torch::zeros({out_features(), r}, weight.options()));
}

std::pair<torch::Tensor, torch::Tensor> LoraImpl::dense_factors() {
  return {lora_a.t(), lora_b.t()};
}

torch::Tensor LoraImpl::low_rank_update_naive(const torch::Tensor& x,
                                              const TaskGrouping* /*tasks*/) {
  const auto delta_weight = lora_b.matmul(lora_a).div(config_.rank);  // [out, in]
  return x.matmul(delta_weight.t());
}

}  // namespace tensorpoly::adapters
