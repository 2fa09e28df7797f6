// The tensor-product factor of adapters.md §1.2: k leaves [r, d] per batch entry
// -> a factor [r, n], built independently for every rank index (rank is a batch
// axis, never contracted), with a LayerNorm over each pair product's [r, d²]
// block jointly, and truncated to the first n columns.
//
// stacked_tensor_product_factor() builds the factors of many layers (or layer sides) at
// once, each with its own LayerNorm affines; tensor_product_factor() is the one-layer
// case of the same computation.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

namespace tensorpoly::adapters {

inline constexpr double kLayerNormEps = 1e-5;

// (u ⊗ v)[..., ρ, i·d_v + j] = u[..., ρ, i] · v[..., ρ, j]; the left operand carries
// the most significant index. u: [..., r, d_u], v: [..., r, d_v] -> [..., r, d_u·d_v].
torch::Tensor row_outer_product(const torch::Tensor& u, const torch::Tensor& v);

// A LayerNorm over the last two axes jointly ([r, d²]), with elementwise affine.
torch::nn::LayerNorm make_pair_norm(int64_t rank, int64_t leaf);

// The LayerNorm'd pair products of leaves [J, k, N, r, d] (k = 2 or 4): pair p is
// LN_p(ℓ_{2p} ⊗ ℓ_{2p+1}) with entry j's affine gamma[j, p], beta[j, p] ([J, P, r, d²],
// P = 1 when one LayerNorm serves every pair). Returns [J, k/2, N, r, d²].
torch::Tensor normed_pair_products(const torch::Tensor& leaves, const torch::Tensor& gamma,
                                   const torch::Tensor& beta);

// leaves: [J, k, N, r, d] (k = order 1, 2 or 4; J layers or layer sides; N a batch of
// skills or tasks). Order 1: ℓ0 (d must equal n); order 2: LN1(ℓ0 ⊗ ℓ1); order 4:
// LN1(ℓ0 ⊗ ℓ1) ⊗ LN2(ℓ2 ⊗ ℓ3). gamma, beta: the LayerNorm affines of every entry,
// [J, P, r, d²] with P = 1 (one LayerNorm serves every pair) or P = k / 2 (one per pair);
// undefined at order 1. Returns the first n columns: [J, N, r, n].
torch::Tensor stacked_tensor_product_factor(const torch::Tensor& leaves, int64_t n,
                                            const torch::Tensor& gamma, const torch::Tensor& beta);

// One layer: leaves [k, N, r, d] -> [N, r, n]. ln1/ln2 may be empty where the order
// does not use them.
torch::Tensor tensor_product_factor(const torch::Tensor& leaves, int64_t n,
                                    const torch::nn::LayerNorm& ln1,
                                    const torch::nn::LayerNorm& ln2);

}  // namespace tensorpoly::adapters
