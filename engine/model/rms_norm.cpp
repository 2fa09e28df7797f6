// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/rms_norm.h"

namespace tensorpoly::model {

RmsNormImpl::RmsNormImpl(int64_t d_model, double eps) : eps_(eps) {
  weight = register_parameter("weight", torch::ones({d_model}));
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) {
  // As HF: the mean of squares is taken in float32 even for half-precision inputs.
  const torch::Tensor variance = x.to(torch::kFloat32).pow(2).mean(-1, /*keepdim=*/true);
  const torch::Tensor normed = x * torch::rsqrt(variance + eps_);
  return weight * normed.to(weight.scalar_type());
}

}  // namespace tensorpoly::model
