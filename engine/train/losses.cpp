// SPDX-License-Identifier: GPL-3.0-or-later
#include "train/losses.h"

#include "data/batcher.h"

namespace tensorpoly::train {

ExampleLosses example_losses(const torch::Tensor& logits, const torch::Tensor& labels) {
  TORCH_CHECK(logits.dim() == 3 && labels.dim() == 2 && logits.size(0) == labels.size(0) &&
                  logits.size(1) == labels.size(1),
              "example_losses: logits [B, T, V] and labels [B, T] expected, got ", logits.sizes(),
              " and ", labels.sizes());
  namespace F = torch::nn::functional;
  const auto flat = F::cross_entropy(
      logits.reshape({-1, logits.size(2)}).to(torch::kFloat), labels.reshape({-1}),
      F::CrossEntropyFuncOptions().reduction(torch::kNone).ignore_index(data::kIgnoreIndex));
  const auto per_token = flat.view({labels.size(0), labels.size(1)});
  return {per_token.sum(1), labels.ne(data::kIgnoreIndex).sum(1).to(torch::kFloat)};
}

}  // namespace tensorpoly::train
