// T5 v1.1's gated-GELU feed-forward: wo( gelu_tanh(wi_0·x) ⊙ (wi_1·x) ).
// HF calls the module DenseReluDense whatever its activation; its three
// projections are adapter-wrappable.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "adapters/projection.h"
#include "tensorpoly/model_preset.h"

namespace tensorpoly::model {

class GatedGeluFeedForwardImpl : public adapters::ProjectionOwner {
 public:
  explicit GatedGeluFeedForwardImpl(const ModelPreset& config);
  torch::Tensor forward(const torch::Tensor& x);

  std::shared_ptr<adapters::ProjectionImpl> wi_0, wi_1, wo;
};
TORCH_MODULE(GatedGeluFeedForward);

}  // namespace tensorpoly::model
