// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/relative_position.h"

#include <cmath>

namespace tensorpoly::model {

torch::Tensor relative_position_bucket(const torch::Tensor& relative_position, bool bidirectional,
                                       int64_t num_buckets, int64_t max_distance) {
  TORCH_CHECK(num_buckets > 0 && max_distance > 0,
              "relative_position_bucket: num_buckets and max_distance must be positive, got ",
              num_buckets, " and ", max_distance);
  torch::Tensor position = relative_position.to(torch::kLong);
  torch::Tensor buckets = torch::zeros_like(position);
  int64_t per_direction = num_buckets;
  if (bidirectional) {
    per_direction /= 2;
    buckets = buckets + (position > 0).to(torch::kLong) * per_direction;
    position = position.abs();
  } else {
    position = -torch::min(position, torch::zeros_like(position));
  }
  const int64_t max_exact = per_direction / 2;
  TORCH_CHECK(max_exact > 0, "relative_position_bucket: too few buckets (", num_buckets, ")");
  const torch::Tensor is_small = position < max_exact;
  // float32 as in HF; log(0) = −inf for small distances is discarded by the where().
  torch::Tensor if_large =
      max_exact + (torch::log(position.to(torch::kFloat32) / static_cast<double>(max_exact)) /
                   std::log(static_cast<double>(max_distance) / static_cast<double>(max_exact)) *
                   static_cast<double>(per_direction - max_exact))
                      .to(torch::kLong);
  if_large = torch::clamp_max(if_large, per_direction - 1);
  return buckets + torch::where(is_small, position, if_large);
}

torch::Tensor relative_position_buckets(int64_t query_length, int64_t key_length,
                                        int64_t query_offset, bool bidirectional,
                                        int64_t num_buckets, int64_t max_distance,
                                        const torch::Device& device) {
  const auto options = torch::TensorOptions().dtype(torch::kLong).device(device);
  const torch::Tensor query_position =
      torch::arange(query_offset, query_offset + query_length, options).unsqueeze(1);
  const torch::Tensor key_position = torch::arange(key_length, options).unsqueeze(0);
  return relative_position_bucket(key_position - query_position, bidirectional, num_buckets,
                                  max_distance);
}

}  // namespace tensorpoly::model
