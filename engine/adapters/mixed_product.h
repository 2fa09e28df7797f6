// The routing mix of order-4 tensor-product factors, computed straight from the two pair
// products without building each skill's [r, n] factor first:
//
//   out[j, u, ρ, f] = Σ_s w[j, u, s] · first[j, s, ρ, f / b] · second[j, s, ρ, f % b],  f < n
//
// (b = second's last size). For TensorPoly-I, j is a layer side, u a task, s a skill, and
// first/second are the LayerNorm'd pair products P01/P23; the result is Σ_s w_s F_s without
// the S-times larger F. TensorPoly-II's per-task product is the case of one skill with
// weight 1. On CPU (float, double) a fused kernel does the forward and the backward in one
// pass each over the output; elsewhere the same function is composed from tensor ops.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

namespace tensorpoly::adapters {

// weights [J, U, S], first [J, S, r, a], second [J, S, r, b] -> [J, U, r, n], with
// n <= a·b. Differentiable in all three tensors.
torch::Tensor mixed_outer_product(const torch::Tensor& weights, const torch::Tensor& first,
                                  const torch::Tensor& second, int64_t n);

// The same function composed from tensor ops (outer product, truncation, batched
// product): the reference for the fused kernel, and the path on other devices.
torch::Tensor mixed_outer_product_composite(const torch::Tensor& weights,
                                            const torch::Tensor& first, const torch::Tensor& second,
                                            int64_t n);

}  // namespace tensorpoly::adapters
