// T5's relative position buckets and the bias they index.
//
// With rel = key − query: bidirectional (encoder) uses n = buckets/2 per
// direction (keys after the query in the upper half), unidirectional (decoder)
// uses all buckets for keys at or before the query (later keys get bucket 0).
// Distances below n/2 get their own bucket, larger ones share logarithmically
// spaced buckets up to max_distance. The arithmetic mirrors HF's
// _relative_position_bucket (float32 log, truncation toward zero) so that bucket
// edges agree exactly.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

namespace tensorpoly::model {

// Elementwise bucket of an integer tensor of relative positions (any shape/device).
torch::Tensor relative_position_bucket(const torch::Tensor& relative_position, bool bidirectional,
                                       int64_t num_buckets, int64_t max_distance);

// Buckets [query_length, key_length] for queries at positions
// query_offset … query_offset+query_length−1 and keys at 0 … key_length−1.
torch::Tensor relative_position_buckets(int64_t query_length, int64_t key_length,
                                        int64_t query_offset, bool bidirectional,
                                        int64_t num_buckets, int64_t max_distance,
                                        const torch::Device& device);

}  // namespace tensorpoly::model
