// T5's layer norm: RMSNorm with a learned scale, no mean subtraction, no bias.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

namespace tensorpoly::model {

// y = weight ⊙ x / sqrt(mean(x²) + eps) over the last dimension.
// Parameter: "weight" [d_model], initialised to ones.
class RmsNormImpl : public torch::nn::Module {
 public:
  RmsNormImpl(int64_t d_model, double eps);
  torch::Tensor forward(const torch::Tensor& x);

  torch::Tensor weight;

 private:
  double eps_;
};
TORCH_MODULE(RmsNorm);

}  // namespace tensorpoly::model
