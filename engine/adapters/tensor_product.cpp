// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/tensor_product.h"

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

namespace {

// LayerNorm over the last two axes jointly, with ln's affine ([r, d²]).
torch::Tensor pair_norm(const torch::Tensor& pair_product, const torch::nn::LayerNorm& ln) {
  return torch::layer_norm(pair_product, {pair_product.size(-2), pair_product.size(-1)}, ln->weight,
                           ln->bias, kLayerNormEps);
}

}  // namespace

torch::Tensor tensor_product_factor(const torch::Tensor& leaves, int64_t n,
                                    const torch::nn::LayerNorm& ln1,
                                    const torch::nn::LayerNorm& ln2) {
  TORCH_CHECK(leaves.dim() == 4,
              "tensor_product_factor: leaves must be [order, N, rank, leaf], got ", leaves.sizes());
  const int64_t order = leaves.size(0);
  const int64_t leaf = leaves.size(3);
  switch (order) {
    case 1:
      TORCH_CHECK(leaf == n, "tensor_product_factor: order 1 needs leaf size ", n, ", got ", leaf);
      return leaves[0];
    case 2: {
      TORCH_CHECK(!ln1.is_empty(), "tensor_product_factor: order 2 needs ln1");
      const auto full = pair_norm(row_outer_product(leaves[0], leaves[1]), ln1);
      return full.narrow(-1, 0, n);
    }
    case 4: {
      TORCH_CHECK(!ln1.is_empty() && !ln2.is_empty(),
                  "tensor_product_factor: order 4 needs ln1 and ln2");
      const auto first_pair = pair_norm(row_outer_product(leaves[0], leaves[1]), ln1);
      const auto second_pair = pair_norm(row_outer_product(leaves[2], leaves[3]), ln2);
      // F[ρ, f] = P01[ρ, f / d²] · P23[ρ, f % d²] for f < n: only the first
      // ⌈n / d²⌉ rows of P01 are needed before truncating.
      const int64_t pair = leaf * leaf;
      const int64_t used_rows = (n + pair - 1) / pair;
      const auto full = row_outer_product(first_pair.narrow(-1, 0, used_rows), second_pair);
      return full.narrow(-1, 0, n);
    }
    default:
      TORCH_CHECK(false, "tensor_product_factor: tensor order must be 1, 2 or 4, got ", order);
  }
  return {};
}

}  // namespace tensorpoly::adapters
