// The fused routing mix of pair products (adapters/mixed_product.h) against the same
// function composed from tensor ops: outputs and the gradients of all three inputs, with
// and without truncation, one and many skills, float and double.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/mixed_product.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace tensorpoly::adapters {
namespace {

struct Case {
  int64_t layers, tasks, skills, rank, first, second, width;
};

std::vector<torch::Tensor> value_and_gradients(bool fused, const std::vector<torch::Tensor>& inputs,
                                               const torch::Tensor& probe, int64_t width) {
  std::vector<torch::Tensor> leaves;
  for (const auto& input : inputs) leaves.push_back(input.detach().clone().requires_grad_(true));
  const auto out = fused ? mixed_outer_product(leaves[0], leaves[1], leaves[2], width)
                         : mixed_outer_product_composite(leaves[0], leaves[1], leaves[2], width);
  (out * probe).sum().backward();
  return {out.detach(), leaves[0].grad(), leaves[1].grad(), leaves[2].grad()};
}

TEST(MixedOuterProduct, FusedKernelMatchesTheCompositeWithGradients) {
  torch::manual_seed(12);
  const std::vector<Case> cases = {
      {3, 2, 4, 3, 5, 4, 20},  // a·b = n: nothing cut
      {3, 2, 4, 3, 5, 4, 17},  // the last block of `first` partly used
      {2, 3, 4, 2, 5, 4, 12},  // `first` only partly used (3 of 5 columns)
      {4, 1, 1, 3, 3, 3, 7},   // one skill, one task: a plain truncated outer product
      {1, 5, 8, 16, 16, 16, 256},
  };
  for (const auto type : {torch::kFloat, torch::kDouble}) {
    for (const auto& c : cases) {
      SCOPED_TRACE(std::string(type == torch::kFloat ? "float" : "double") + ", width " +
                   std::to_string(c.width) + ", skills " + std::to_string(c.skills));
      const auto options = torch::TensorOptions().dtype(type);
      const std::vector<torch::Tensor> inputs = {
          torch::rand({c.layers, c.tasks, c.skills}, options),
          torch::randn({c.layers, c.skills, c.rank, c.first}, options),
          torch::randn({c.layers, c.skills, c.rank, c.second}, options)};
      const auto probe = torch::randn({c.layers, c.tasks, c.rank, c.width}, options);
      const auto fused = value_and_gradients(true, inputs, probe, c.width);
      const auto composite = value_and_gradients(false, inputs, probe, c.width);
      // Relative to each element and, as in the adapter fixtures' rule, to the tensor's
      // largest magnitude: the weights' gradient sums r·n products, in another order than
      // the composite's, so float rounding scales with the tensor, not with each element.
      const double tolerance = type == torch::kFloat ? 1e-5 : 1e-12;
      const char* names[] = {"output", "weights' gradient", "first's gradient",
                             "second's gradient"};
      for (size_t i = 0; i < fused.size(); ++i) {
        ASSERT_EQ(fused[i].sizes(), composite[i].sizes()) << names[i];
        const double scale = std::max(1.0, composite[i].abs().max().item<double>());
        EXPECT_TRUE(torch::allclose(fused[i], composite[i], tolerance, tolerance * scale))
            << names[i] << ": max difference "
            << (fused[i] - composite[i]).abs().max().item<double>();
      }
    }
  }
}

TEST(MixedOuterProduct, RefusesMismatchedShapesAndTooWideAWidth) {
  const auto w = torch::rand({2, 3, 4});
  const auto first = torch::randn({2, 4, 3, 5});
  const auto second = torch::randn({2, 4, 3, 4});
  EXPECT_THROW(mixed_outer_product(w, first, second, 21), c10::Error);  // > 5·4
  EXPECT_THROW(mixed_outer_product(w, first, second, 0), c10::Error);
  EXPECT_THROW(mixed_outer_product(w, first.narrow(1, 0, 3), second, 8), c10::Error);
  EXPECT_THROW(mixed_outer_product(w, first, second.narrow(2, 0, 2), 8), c10::Error);
  EXPECT_THROW(mixed_outer_product(w[0], first, second, 8), c10::Error);
}

}  // namespace
}  // namespace tensorpoly::adapters
