// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/tensor_product.h"

#include "adapters/mixed_product.h"

namespace tensorpoly::adapters {

torch::Tensor row_outer_product(const torch::Tensor& u, const torch::Tensor& v) {
  TORCH_CHECK(u.dim() >= 2 && u.dim() == v.dim(), "row_outer_product: operands ", u.sizes(),
              " and ", v.sizes(), " must have the same rank >= 2");
  auto product = u.unsqueeze(-1) * v.unsqueeze(-2);  // [..., r, d_u, d_v]
  return product.flatten(-2, -1);
}

torch::nn::LayerNorm make_pair_norm(int64_t rank, int64_t leaf) {
  return torch::nn::LayerNorm(
      torch::nn::LayerNormOptions({rank, leaf * leaf}).eps(kLayerNormEps).elementwise_affine(true));
}

torch::Tensor normed_pair_products(const torch::Tensor& leaves, const torch::Tensor& gamma,
                                   const torch::Tensor& beta) {
  TORCH_CHECK(leaves.dim() == 5 && (leaves.size(1) == 2 || leaves.size(1) == 4),
              "tensor_product_factor: leaves must be [layers, 2 or 4, N, rank, leaf], got ",
              leaves.sizes());
  const int64_t order = leaves.size(1);
  const int64_t rank = leaves.size(3);
  const int64_t pair = leaves.size(4) * leaves.size(4);
  const int64_t n_pairs = order / 2;
  TORCH_CHECK(
      gamma.defined() && beta.defined() && gamma.dim() == 4 && gamma.size(0) == leaves.size(0) &&
          (gamma.size(1) == 1 || gamma.size(1) == n_pairs) && gamma.size(2) == rank &&
          gamma.size(3) == pair && beta.sizes() == gamma.sizes(),
      "tensor_product_factor: LayerNorm affines must be [", leaves.size(0), ", 1 or ", n_pairs,
      ", ", rank, ", ", pair, "], got ", gamma.defined() ? gamma.sizes() : torch::IntArrayRef{},
      " and ", beta.defined() ? beta.sizes() : torch::IntArrayRef{});
  // Every pair of every entry in one product: (ℓ0, ℓ2) ⊗ (ℓ1, ℓ3) -> [J, pairs, N, r, d²].
  const auto products =
      row_outer_product(leaves.slice(1, 0, order, 2), leaves.slice(1, 1, order, 2));
  // LayerNorm over each [r, d²] block, then each entry's own affine.
  const auto normed = torch::layer_norm(products, {rank, pair}, {}, {}, kLayerNormEps);
  return torch::addcmul(beta.unsqueeze(2), normed, gamma.unsqueeze(2));
}

torch::Tensor stacked_tensor_product_factor(const torch::Tensor& leaves, int64_t n,
                                            const torch::Tensor& gamma, const torch::Tensor& beta) {
  TORCH_CHECK(leaves.dim() == 5,
              "tensor_product_factor: leaves must be [layers, order, N, rank, leaf], got ",
              leaves.sizes());
  const int64_t order = leaves.size(1);
  const int64_t leaf = leaves.size(4);
  TORCH_CHECK(order == 1 || order == 2 || order == 4,
              "tensor_product_factor: tensor order must be 1, 2 or 4, got ", order);
  if (order == 1) {
    TORCH_CHECK(leaf == n, "tensor_product_factor: order 1 needs leaf size ", n, ", got ", leaf);
    return leaves.select(1, 0);
  }
  const auto pairs = normed_pair_products(leaves, gamma, beta);
  if (order == 2) return pairs.squeeze(1).narrow(-1, 0, n);
  // F[ρ, f] = P01[ρ, f / d²] · P23[ρ, f % d²] for f < n: the product of one "skill" with
  // weight 1 per entry. unbind (not two selects) keeps the backward one stack.
  const auto both = pairs.unbind(1);
  const int64_t entries = leaves.size(0) * leaves.size(2);
  const int64_t rank = leaves.size(3);
  const auto first = both[0].reshape({entries, 1, rank, leaf * leaf});
  const auto second = both[1].reshape({entries, 1, rank, leaf * leaf});
  const auto ones = torch::ones({entries, 1, 1}, first.options().requires_grad(false));
  return mixed_outer_product(ones, first, second, n)
      .view({leaves.size(0), leaves.size(2), rank, n});
}

torch::Tensor tensor_product_factor(const torch::Tensor& leaves, int64_t n,
                                    const torch::nn::LayerNorm& ln1,
                                    const torch::nn::LayerNorm& ln2) {
  TORCH_CHECK(leaves.dim() == 4,
              "tensor_product_factor: leaves must be [order, N, rank, leaf], got ", leaves.sizes());
  const int64_t order = leaves.size(0);
  torch::Tensor gamma, beta;
  if (order == 2) {
    TORCH_CHECK(!ln1.is_empty(), "tensor_product_factor: order 2 needs ln1");
    gamma = ln1->weight.unsqueeze(0);
    beta = ln1->bias.unsqueeze(0);
  } else if (order == 4) {
    TORCH_CHECK(!ln1.is_empty() && !ln2.is_empty(),
                "tensor_product_factor: order 4 needs ln1 and ln2");
    gamma = torch::stack({ln1->weight, ln2->weight});
    beta = torch::stack({ln1->bias, ln2->bias});
  }
  if (gamma.defined()) {
    gamma = gamma.unsqueeze(0);
    beta = beta.unsqueeze(0);
  }
  return stacked_tensor_product_factor(leaves.unsqueeze(0), n, gamma, beta)[0];
}

}  // namespace tensorpoly::adapters
